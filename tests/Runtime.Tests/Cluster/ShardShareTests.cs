using Conversations.Runtime.Cluster;
using Conversations.Runtime.Store;

namespace Conversations.Runtime.Tests.Cluster;

public sealed class ShardShareTests
{
    [Fact]
    public void A_single_node_owns_the_whole_cluster() =>
        Assert.Equal(1.0, new ShardShare(new SingleNodeOwnership()).Fraction);

    [Fact]
    public void A_silo_owns_its_shards_over_the_shard_count()
    {
        var ownership = new FixedOwnership { Owned = new ShardSet(1024, []) };
        var share = new ShardShare(ownership);
        Assert.Equal(1 / 1024.0, share.Fraction); // joining: one shard's worth

        ownership.Owned = new ShardSet(1024, Enumerable.Range(0, 256));
        Assert.Equal(0.25, share.Fraction);
        ownership.Owned = new ShardSet(1024, Enumerable.Range(0, 512));
        Assert.Equal(0.5, share.Fraction);
    }

    [Fact]
    public void Owning_nothing_for_a_moment_keeps_the_last_share()
    {
        // An untrusted lease or a drain shows an empty set while turns still finish: their calls
        // must not drop to one shard's worth of the budget (a minute per request at 450/min).
        var ownership = new FixedOwnership { Owned = new ShardSet(1024, Enumerable.Range(0, 256)) };
        var share = new ShardShare(ownership);
        Assert.Equal(0.25, share.Fraction);

        ownership.Owned = new ShardSet(1024, []);
        Assert.Equal(0.25, share.Fraction);
    }

    private sealed class FixedOwnership : IShardOwnership
    {
        public ShardSet? Owned { get; set; }
        public long? FenceFor(ConversationKey key) => null;
        public ShardSet? OwnedShards => Owned;
    }
}
