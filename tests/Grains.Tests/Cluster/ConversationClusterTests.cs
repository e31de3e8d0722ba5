using Conversations.Storage;
using Orleans.TestingHost;
using Microsoft.Extensions.DependencyInjection;
using Xunit.Abstractions;

namespace Conversations.Grains.Tests.Cluster;

/// <summary>
/// The real <see cref="ConversationGrain"/> on an Orleans TestingHost cluster of three silos, with
/// the failures of ARCHITECTURE.md section 5 that a cluster in one process can show: a silo killed
/// mid-turn (O1) and after the write, before the sends (O2), a second activation's write (O3),
/// a lost wake (O4), platform retries and parking in order (O7), a burst into one conversation (O14).
/// </summary>
public class ConversationClusterTests(ITestOutputHelper output) : IAsyncLifetime
{
    private TestClusterWorld _world = null!;

    protected virtual bool OnPostgres => false;

    public async Task InitializeAsync() => _world = await TestClusterWorld.StartAsync(postgres: OnPostgres);

    public async Task DisposeAsync() => await _world.DisposeAsync();

    private static ConversationKey Key(string id) => new("acme", id);

    private async Task<string[]> HistoryAsync(ConversationKey key) =>
        RecordingPolicies.History((await _world.Grains.GetConversation(key).GetSnapshotAsync()).State);

    [Fact]
    public async Task Events_are_processed_once_in_order_and_their_replies_sent_then_consumed()
    {
        var key = Key("1:1");
        await _world.DeliverAsync(key, "a");
        await _world.DeliverAsync(key, "b", "c");

        await TestClusterWorld.WaitUntilAsync(() => _world.Sender.TextsOf(key).Count == 3, "three replies");
        Assert.Equal(["a", "b", "c"], _world.Sender.TextsOf(key));
        Assert.Equal(["a", "b", "c"], await HistoryAsync(key));
        var snapshot = await _world.Grains.GetConversation(key).GetSnapshotAsync();
        Assert.Equal(3, snapshot.Cursor);
        Assert.Empty(snapshot.Pending);
        await TestClusterWorld.WaitUntilAsync(() => _world.Store.FindUnconsumedAsync(TimeSpan.Zero, 10, default).AsTask().Result.Count == 0, "events consumed");
    }

    [Fact]
    public async Task A_lost_wake_is_made_good_by_the_redrive()
    {
        var key = Key("1:2");
        await _world.AppendAsync(key, "lost"); // appended, never woken

        await TestClusterWorld.WaitUntilAsync(() => _world.Sender.TextsOf(key).Count == 1, "the re-drive to process the event", 20);
        Assert.Equal(["lost"], await HistoryAsync(key));
    }

    [Fact]
    public async Task A_silo_killed_mid_turn_loses_nothing_the_event_is_processed_once_elsewhere()
    {
        var key = Key("1:3");
        _world.Policies.HoldNextTurn();
        await _world.DeliverAsync(key, "x");
        await _world.Policies.TurnHeld.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var silo = SiloOf(key);

        var killed = DateTime.UtcNow;
        await _world.Cluster.KillSiloAsync(silo);
        _world.Policies.ReleaseAll(); // the killed activation's turn may finish in memory: its write must not matter

        await TestClusterWorld.WaitUntilAsync(() => _world.Sender.Sent.Any(s => s.Key == key && s.Silo != silo.Name), "a reply from another silo", 60);
        output.WriteLine($"answered from another silo {(DateTime.UtcNow - killed).TotalSeconds:F1} s after the kill");
        await Task.Delay(500);
        Assert.Equal(["x"], await HistoryAsync(key));
    }

    [Fact]
    public async Task A_silo_killed_after_the_write_before_the_send_has_the_action_sent_elsewhere()
    {
        var key = Key("1:4");
        _world.Sender.HoldNextSend();
        await _world.DeliverAsync(key, "y");
        await _world.Sender.SendHeld.Task.WaitAsync(TimeSpan.FromSeconds(20));
        var silo = SiloOf(key);
        if (!_world.OnPostgres) Assert.Single(_world.GrainStorage.Read(key)!.Pending); // written, not sent

        await _world.Cluster.KillSiloAsync(silo);

        await TestClusterWorld.WaitUntilAsync(() => _world.Sender.Sent.Any(s => s.Key == key && s.Silo != silo.Name), "the pending action sent from another silo", 60);
        Assert.Equal(["y"], await HistoryAsync(key)); // the turn is not run again: only its action is sent
    }

    [Fact]
    public async Task An_activation_whose_write_is_refused_sends_nothing_and_a_fresh_one_carries_on()
    {
        var key = Key("1:5");
        await _world.DeliverAsync(key, "first");
        await TestClusterWorld.WaitUntilAsync(() => _world.Sender.TextsOf(key).Count == 1, "the first reply");
        // The sent reply's write-back comes after the send, then the inbox is marked consumed. A bump before that
        // write-back would refuse it and the fresh activation would send "first" again (at-least-once, by design).
        await TestClusterWorld.WaitUntilAsync(
            () => !_world.Store.FindUnconsumedAsync(TimeSpan.Zero, 1000, default).AsTask().Result.Contains(key), "the first turn's write-back");

        // Another activation wrote this conversation behind this one's back: its next write is refused.
        if (_world.OnPostgres) await _world.BumpStoredVersionAsync(key);
        else _world.GrainStorage.BumpAsOtherActivation(key);
        await _world.DeliverAsync(key, "second");
        await Task.Delay(300);
        Assert.Equal(["first"], _world.Sender.TextsOf(key));

        // The refused activation stopped; the re-drive wakes a fresh one from the stored state.
        await TestClusterWorld.WaitUntilAsync(() => _world.Sender.TextsOf(key).Count == 2, "the second reply from a fresh activation", 20);
        Assert.Equal(["first", "second"], _world.Sender.TextsOf(key));
        Assert.Equal(["first", "second"], await HistoryAsync(key));
    }

    [Fact]
    public async Task Each_committed_turn_writes_the_directory_entry_and_a_failing_directory_never_fails_the_turn()
    {
        var key = Key("1:dir");
        await _world.DeliverAsync(key, "d1");
        await TestClusterWorld.WaitUntilAsync(() => _world.Sender.TextsOf(key).Count == 1, "the first reply");
        var entry = Assert.Single((await _world.Store.ListConversationsAsync(new ConversationDirectoryFilter(Tenant: "acme"), default)).Entries, e => e.Key == key);
        Assert.Equal("bot", entry.Mode);
        var first = entry.UpdatedAt;

        _world.Faults.FailDirectory = true;
        await _world.DeliverAsync(key, "d2");
        await TestClusterWorld.WaitUntilAsync(() => _world.Sender.TextsOf(key).Count == 2, "the second reply despite the directory failure");
        Assert.Equal(["d1", "d2"], await HistoryAsync(key));
        Assert.Equal(first, Assert.Single((await _world.Store.ListConversationsAsync(new ConversationDirectoryFilter(Tenant: "acme"), default)).Entries, e => e.Key == key).UpdatedAt);

        _world.Faults.FailDirectory = false;
        await _world.DeliverAsync(key, "d3");
        await TestClusterWorld.WaitUntilAsync(() => _world.Sender.TextsOf(key).Count == 3, "the third reply");
        Assert.True(Assert.Single((await _world.Store.ListConversationsAsync(new ConversationDirectoryFilter(Tenant: "acme"), default)).Entries, e => e.Key == key).UpdatedAt >= first);
    }

    [Fact]
    public async Task An_operator_retry_puts_a_parked_action_back_and_sends_it_once()
    {
        var key = Key("1:retry");
        _world.Sender.Script.Enqueue(SendOutcome.Failed("HTTP 403"));
        await _world.DeliverAsync(key, "p1");
        await TestClusterWorld.WaitUntilAsync(() => _world.Store.ReadParkedAsync(key, default).AsTask().Result.Count == 1, "the action parked");
        Assert.Empty(_world.Sender.TextsOf(key));
        var grain = _world.Grains.GetConversation(key);

        Assert.False(await grain.RetryParkedAsync(99));
        Assert.True(await grain.RetryParkedAsync(1));

        await TestClusterWorld.WaitUntilAsync(() => _world.Sender.TextsOf(key).Count == 1, "the retried action sent");
        Assert.Equal(["p1"], _world.Sender.TextsOf(key));
        Assert.Empty(await _world.Store.ReadParkedAsync(key, default));
        var snapshot = await grain.GetSnapshotAsync();
        Assert.Empty(snapshot.Pending);
        Assert.False(await grain.RetryParkedAsync(1));
        Assert.Equal(["p1"], _world.Sender.TextsOf(key));
    }

    [Fact]
    public async Task Retries_honour_retry_after_hold_back_later_actions_and_a_permanent_failure_is_parked()
    {
        var key = Key("1:6");
        _world.Sender.Script.Enqueue(SendOutcome.Retry("HTTP 429", TimeSpan.FromMilliseconds(400)));
        _world.Sender.Script.Enqueue(SendOutcome.Failed("HTTP 404"));
        var started = DateTime.UtcNow;
        await _world.DeliverAsync(key, "r1", "r2", "r3");

        await TestClusterWorld.WaitUntilAsync(() => _world.Sender.TextsOf(key).Count == 2, "two replies");
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(350), "Retry-After was not honoured");
        // r1: 429 then (retried) 404 → parked; r2 and r3 waited behind it and went out in order.
        Assert.Equal(["r2", "r3"], _world.Sender.TextsOf(key));
        var parked = Assert.Single(await _world.Store.ReadParkedAsync(key, default));
        Assert.Equal(1, parked.Id);
        Assert.Equal(2, parked.Attempts);
        Assert.Equal("HTTP 404", parked.LastError);
    }

    [Fact]
    public async Task A_burst_of_500_messages_into_one_conversation_is_processed_in_order_in_few_turns()
    {
        var key = Key("1:7");
        var texts = Enumerable.Range(1, 500).Select(i => $"m{i}").ToArray();
        await Parallel.ForEachAsync(texts.Chunk(50), async (chunk, _) =>
        {
            foreach (var text in chunk) await _world.DeliverAsync(key, text);
        });

        await TestClusterWorld.WaitUntilAsync(() => _world.Sender.TextsOf(key).Count == 500, "500 replies", 60);
        var history = await HistoryAsync(key);
        Assert.Equal(500, history.Length);
        Assert.Equal(500, history.Distinct().Count());
        // Each sender delivered its chunk in order: the policy saw every chunk in that order (nothing
        // reordered), and the replies went out in exactly the order the policy decided them.
        foreach (var chunk in texts.Chunk(50))
            Assert.Equal(chunk, history.Where(chunk.Contains));
        Assert.Equal(history, _world.Sender.TextsOf(key));
        var turns = _world.Policies.Turns.Count(t => t.Key == key);
        output.WriteLine($"500 messages in {turns} turns");
        Assert.True(turns < 500, $"{turns} turns for 500 messages: bursts were not batched");
    }

    [Fact]
    public async Task Each_silo_spends_one_third_of_a_deployment_wide_budget_with_three_silos_then_half_with_two()
    {
        IClusterShare ShareOf(InProcessSiloHandle silo) => silo.ServiceProvider.GetRequiredService<IClusterShare>();
        await TestClusterWorld.WaitUntilAsync(() => _world.Cluster.Silos.All(s => Math.Abs(ShareOf(s).Fraction - 1.0 / 3) < 1e-9), "every silo to see three active silos");

        var leaving = _world.Cluster.Silos[^1];
        await _world.Cluster.StopSiloAsync(leaving);

        await TestClusterWorld.WaitUntilAsync(() => _world.Cluster.Silos.All(s => Math.Abs(ShareOf(s).Fraction - 0.5) < 1e-9), "every remaining silo to see two active silos");
    }

    private InProcessSiloHandle SiloOf(ConversationKey key)
    {
        // The hold records the silo it happened on (each silo has its own policy and sender).
        var name = _world.Sender.HeldOn ?? _world.Policies.HeldOn;
        return _world.Cluster.Silos.Single(s => s.Name == name);
    }
}

/// <summary>The same scenarios on the ADO.NET grain storage and the Postgres inbox (the test PostgreSQL).</summary>
public sealed class ConversationClusterOnPostgresTests(ITestOutputHelper output) : ConversationClusterTests(output)
{
    protected override bool OnPostgres => true;
}
