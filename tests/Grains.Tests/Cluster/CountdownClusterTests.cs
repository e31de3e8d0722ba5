using Orleans.TestingHost;
using Xunit.Abstractions;

namespace Conversations.Grains.Tests.Cluster;

/// <summary>
/// Countdowns of the real <see cref="ConversationGrain"/> on a TestingHost cluster: each step runs
/// once, in order, on the grain timer; the snapshot shows what is due and when; an event that
/// cancels the countdown cancels the grain's schedule too. The test policy arms a countdown on
/// <c>idle:{followUpMs}:{resolveMs}</c> (<see cref="RecordingPolicies"/>).
/// </summary>
public class CountdownClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    protected TestClusterWorld World { get; private set; } = null!;
    protected ITestOutputHelper Output => output;

    protected virtual bool OnPostgres => false;

    public async Task InitializeAsync() => World = await TestClusterWorld.StartAsync(postgres: OnPostgres);

    public async Task DisposeAsync() => await World.DisposeAsync();

    protected static ConversationKey Key(string id) => new("acme", id);

    protected IReadOnlyList<string> StepsOf(ConversationKey key) => [.. World.Policies.Steps.Where(s => s.Key == key).Select(s => s.Step)];

    /// <summary>Waits until the conversation has no countdown and nothing pending: whatever it was going to do, it did.</summary>
    protected async Task WaitDoneAsync(ConversationKey key, int seconds)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (true)
        {
            var snapshot = await World.Grains.GetConversation(key).GetSnapshotAsync();
            if (snapshot.Countdowns is { Count: 0 } && snapshot.Pending.Count == 0) return;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"countdowns {string.Join(", ", snapshot.Countdowns?.Select(c => $"{c.Kind}@{c.DueAt:O}") ?? [])}, {snapshot.Pending.Count} pending; sent {string.Join(", ", World.Sender.TextsOf(key))}");
            await Task.Delay(100);
        }
    }

    [Fact]
    public async Task Each_step_runs_once_in_order_and_the_snapshot_shows_what_is_due_until_then()
    {
        var key = Key("9:1");
        var before = DateTimeOffset.UtcNow;
        await World.DeliverAsync(key, "idle:1500:3000");
        await TestClusterWorld.WaitUntilAsync(() => World.Sender.TextsOf(key).Count == 1, "the reply");

        var snapshot = await World.Grains.GetConversation(key).GetSnapshotAsync();
        Assert.Equal(["follow-up", "resolve"], snapshot.Countdowns!.Select(c => c.Kind));
        Assert.InRange(snapshot.Countdowns![0].DueAt, before.AddMilliseconds(1500), DateTimeOffset.UtcNow.AddMilliseconds(1500));

        await TestClusterWorld.WaitUntilAsync(() => World.Sender.TextsOf(key).Count == 3, "the follow-up and the resolve", 60);
        await WaitDoneAsync(key, 30);
        Assert.Equal(["idle:1500:3000", "follow-up", "resolve"], World.Sender.TextsOf(key));
        Assert.Equal(["follow-up", "resolve"], StepsOf(key));
        Assert.Equal(["idle:1500:3000", "follow-up", "resolve"], RecordingPolicies.History((await World.Grains.GetConversation(key).GetSnapshotAsync()).State));
    }

    [Fact]
    public async Task An_event_before_the_due_time_cancels_the_grains_schedule_with_the_policys()
    {
        var key = Key("9:2");
        await World.DeliverAsync(key, "idle:1000:60000");
        await TestClusterWorld.WaitUntilAsync(() => World.Sender.TextsOf(key).Contains("follow-up"), "the follow-up", 60);

        await World.DeliverAsync(key, "back");
        await TestClusterWorld.WaitUntilAsync(() => World.Sender.TextsOf(key).Contains("back"), "the answer to the customer");
        Assert.Empty((await World.Grains.GetConversation(key).GetSnapshotAsync()).Countdowns!);

        // A new countdown runs both its steps; the cancelled one's resolve never comes.
        await World.DeliverAsync(key, "idle:300:600");
        await TestClusterWorld.WaitUntilAsync(() => World.Sender.TextsOf(key).Count(t => t == "resolve") == 1, "the second countdown's resolve", 60);
        await WaitDoneAsync(key, 30);
        Assert.Equal(["idle:1000:60000", "follow-up", "back", "idle:300:600", "follow-up", "resolve"], World.Sender.TextsOf(key));
    }
}

/// <summary>
/// The same on the ADO.NET providers (grain storage and reminders on the test PostgreSQL), plus the
/// failures a reminder is there for: the silo that holds the conversation dies before a step is due,
/// or after a step was committed and before its action was sent. Reminders tick here every 5 s
/// (Orleans' minimum period lowered for tests; the product keeps a minute).
/// </summary>
public sealed class CountdownClusterOnPostgresTests(ITestOutputHelper output) : CountdownClusterTests(output)
{
    protected override bool OnPostgres => true;

    private InProcessSiloHandle Silo(string name) => World.Cluster.Silos.Single(s => s.Name == name);

    [Fact]
    public async Task Killing_the_silo_that_holds_the_conversation_before_the_follow_up_still_gives_one_follow_up_and_one_resolve()
    {
        var key = Key("9:3");
        await World.DeliverAsync(key, "idle:6000:9000");
        await TestClusterWorld.WaitUntilAsync(() => World.Sender.TextsOf(key).Count == 1, "the reply");
        var holder = Silo(World.Sender.Sent.Single(s => s.Key == key).Silo);
        var killed = DateTime.UtcNow;
        await World.Cluster.KillSiloAsync(holder);

        await TestClusterWorld.WaitUntilAsync(() => World.Sender.TextsOf(key).Contains("resolve"), "the follow-up and the resolve from another silo", 120);
        Output.WriteLine($"resolve sent {(DateTime.UtcNow - killed).TotalSeconds:F1} s after the kill (follow-up due 6 s after the reply, resolve 9 s)");
        await WaitDoneAsync(key, 30);
        Assert.Equal(["idle:6000:9000", "follow-up", "resolve"], World.Sender.TextsOf(key));
        Assert.Equal(["follow-up", "resolve"], StepsOf(key));
        Assert.All(World.Sender.Sent.Where(s => s.Key == key).Skip(1), s => Assert.NotEqual(holder.Name, s.Silo));
    }

    [Fact]
    public async Task A_step_committed_but_not_sent_when_its_silo_dies_is_sent_once_by_another_silo()
    {
        var key = Key("9:4");
        await World.DeliverAsync(key, "idle:1500:30000");
        await TestClusterWorld.WaitUntilAsync(() => World.Sender.TextsOf(key).Count == 1, "the reply");
        World.Sender.HoldNextSend();
        await World.Sender.SendHeld.Task.WaitAsync(TimeSpan.FromSeconds(60)); // the follow-up: written, its send held
        var holder = Silo(World.Sender.HeldOn!);
        Assert.Contains("follow-up", RecordingPolicies.History((await World.Grains.GetConversation(key).GetSnapshotAsync()).State));
        var killed = DateTime.UtcNow;
        await World.Cluster.KillSiloAsync(holder);

        // No inbox event is left for the re-drive: the reminder, which ticks within a period while actions a step
        // decided are pending, gets it sent, long before the resolve is due.
        await TestClusterWorld.WaitUntilAsync(() => World.Sender.Sent.Any(s => s.Key == key && s.Text == "follow-up"), "the follow-up from another silo", 60);
        Output.WriteLine($"follow-up sent {(DateTime.UtcNow - killed).TotalSeconds:F1} s after the kill");
        Assert.Equal(["follow-up"], StepsOf(key)); // decided once; only its action was sent again
        Assert.Equal(["idle:1500:30000", "follow-up"], World.Sender.TextsOf(key));
        var snapshot = await World.Grains.GetConversation(key).GetSnapshotAsync();
        Assert.Equal(["resolve"], snapshot.Countdowns!.Select(c => c.Kind));
    }
}
