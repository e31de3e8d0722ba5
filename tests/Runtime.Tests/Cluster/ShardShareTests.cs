using Conversations.Runtime.Cluster;
using Conversations.Runtime.Store;

namespace Conversations.Runtime.Tests.Cluster;

public sealed class ShardShareTests
{
    [Fact]
    public void A_single_node_owns_the_whole_cluster() =>
        Assert.Equal(1.0, new ShardShare(new SingleNodeOwnership()).Fraction);

    [Fact]
    public void A_silo_owns_its_shards_over_the_shard_count_and_never_less_than_one_shard()
    {
        var ownership = new FixedOwnership { Owned = new ShardSet(1024, Enumerable.Range(0, 256)) };
        var share = new ShardShare(ownership);
        Assert.Equal(0.25, share.Fraction);

        ownership.Owned = new ShardSet(1024, []);
        Assert.Equal(1 / 1024.0, share.Fraction);
    }

    private sealed class FixedOwnership : IShardOwnership
    {
        public ShardSet? Owned { get; set; }
        public long? FenceFor(ConversationKey key) => null;
        public ShardSet? OwnedShards => Owned;
    }
}
