using Conversations.Runtime.Tests.Support;

namespace Conversations.Runtime.Tests;

public sealed class RuntimeCollectionTests
{
    [Fact]
    public async Task Idle_activation_is_collected_and_reactivates_from_committed_state()
    {
        await using var harness = await RuntimeHarness.StartAsync(new()
        {
            ["Conversations:Runtime:IdleTimeout"] = "00:00:00.200",
            ["Conversations:Runtime:CollectionInterval"] = "00:00:00.050",
        });
        var key = new ConversationKey("acme", "idle");
        // Both first events in one delivery: two separate sends could straddle an idle collection on a slow machine.
        await harness.Client.DeliverAsync(key,
            [new NewInboxMessage("e1", "test.event", "1"u8.ToArray()), new NewInboxMessage("e2", "test.event", "2"u8.ToArray())], CancellationToken.None);
        await Eventually.TrueAsync(() => harness.Log.EventsOf(key).Count == 2, "two events processed");

        await Eventually.TrueAsync(() => harness.Runtime.ActivationCount == 0, "idle activation collected");
        await harness.SendAsync(key, "e3", "3");
        await Eventually.TrueAsync(() => harness.Log.EventsOf(key).Count == 3, "third event processed");

        // Created twice: fresh (0 events seen), then from the committed state (2 events seen).
        Assert.Equal([0L, 2L], harness.Log.CreatedWithCount[key]);
    }

    [Fact]
    public async Task Activation_cap_deactivates_least_recently_used_and_state_survives()
    {
        await using var harness = await RuntimeHarness.StartAsync(new() { ["Conversations:Runtime:MaxActivations"] = "10" });
        var keys = Enumerable.Range(0, 100).Select(i => new ConversationKey("acme", $"cap-{i}")).ToArray();
        foreach (var key in keys)
        {
            await harness.SendAsync(key, "e1", "1");
            await Eventually.TrueAsync(() => harness.Log.EventsOf(key).Count == 1, $"{key} processed");
        }

        await Eventually.TrueAsync(() => harness.Runtime.ActivationCount <= 10, "activations trimmed to the cap");
        await harness.SendAsync(keys[0], "e2", "2");
        await Eventually.TrueAsync(() => harness.Log.EventsOf(keys[0]).Count == 2, "oldest conversation reactivated");

        Assert.Equal([0L, 1L], harness.Log.CreatedWithCount[keys[0]]);
        Assert.Single(harness.Log.CreatedWithCount[keys[^1]]);
    }
}
