using Conversations.Runtime.Store.Postgres;

namespace Conversations.Runtime.Tests.Cluster;

/// <summary>The NOTIFY payload that names a shard and, when it fits, the conversation.</summary>
public sealed class WakePayloadTests
{
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
