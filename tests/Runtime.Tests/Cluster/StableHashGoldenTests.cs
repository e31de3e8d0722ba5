using Conversations.Runtime.Store.Postgres;

namespace Conversations.Runtime.Tests.Cluster;

/// <summary>Shard placement must never change between versions or processes: golden values of FNV-1a 64.</summary>
public sealed class StableHashGoldenTests
{
    [Theory]
    [InlineData("acme", "1:23", 11265505184245869647UL, 79)]
    [InlineData("a", "b", 16554864001261364848UL, 624)]
    [InlineData("tenant-x", "thread-ABC-é", 16094029338051301854UL, 478)]
    public void Stable_hash_and_shard_have_fixed_values(string tenant, string conversation, ulong hash, int shard)
    {
        var key = new ConversationKey(tenant, conversation);
        Assert.Equal(hash, key.StableHash());
        Assert.Equal(shard, key.Shard(1024));
    }

    [Fact]
    public void Wake_payload_round_trips_keys_with_colons()
    {
        var key = new ConversationKey("acme", "12:345");
        Assert.True(WakePayload.TryParse(WakePayload.Format(77, key), out var shard, out var parsed));
        Assert.Equal((77, key), (shard, parsed!.Value));
    }

    [Fact]
    public void Wake_payload_of_a_very_long_key_carries_only_the_shard()
    {
        var key = new ConversationKey("acme", new string('x', 5000));
        var payload = WakePayload.Format(3, key);
        Assert.Equal("3", payload);
        Assert.True(WakePayload.TryParse(payload, out var shard, out var parsed));
        Assert.Equal(3, shard);
        Assert.Null(parsed);
        Assert.False(WakePayload.TryParse("x:y", out _, out _));
    }
}
