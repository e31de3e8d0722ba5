using Conversations.Runtime.Tests.Support;

namespace Conversations.Runtime.Tests;

public sealed class RuntimeOrderingTests
{
    [Fact]
    public async Task Thousand_conversations_times_twenty_events_from_concurrent_senders_arrive_in_order_one_turn_at_a_time()
    {
        await using var harness = await RuntimeHarness.StartAsync();
        var keys = Enumerable.Range(0, 1000).Select(i => new ConversationKey("acme", $"conv-{i}")).ToArray();

        // Each conversation has its own sender task (events of one conversation are produced in
        // order); all 1,000 senders run at once, interleaving conversations across threads.
        await Task.WhenAll(keys.Select(key => Task.Run(async () =>
        {
            for (var n = 1; n <= 20; n++)
            {
                await harness.SendAsync(key, $"e{n}", n.ToString());
                if (n % 5 == 0) await Task.Yield();
            }
        })));

        await Eventually.TrueAsync(() => Interlocked.Read(ref harness.Log.TotalEvents) == 20_000, "all 20,000 events processed");
        var expected = Enumerable.Range(1, 20).Select(n => n.ToString()).ToList();
        Assert.All(keys, key => Assert.Equal(expected, harness.Log.EventsOf(key)));
        Assert.Equal(0, harness.Log.Overlaps);
    }

    [Fact]
    public async Task Events_arriving_during_a_turn_become_one_next_turn_and_the_turn_sees_them_pending()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new GrainLog();
        var first = true;
        log.Gate = _ =>
        {
            if (!first) return Task.CompletedTask;
            first = false;
            entered.SetResult();
            return release.Task;
        };
        await using var harness = await RuntimeHarness.StartAsync(log: log);
        var key = new ConversationKey("acme", "burst");

        await harness.SendAsync(key, "e1", "1");
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        for (var n = 2; n <= 5; n++) await harness.SendAsync(key, $"e{n}", n.ToString());
        release.SetResult();

        await Eventually.TrueAsync(() => harness.Log.EventsOf(key).Count == 5, "five events processed");
        Assert.Equal([1, 4], harness.Log.TurnSizes[key]);
        Assert.True(harness.Log.NewerPendingSeen.GetValueOrDefault(key));
        Assert.Equal(["2", "3", "4", "5"], harness.Log.NewerSeenBodies);
        Assert.Equal(["1", "2", "3", "4", "5"], harness.Log.EventsOf(key));
    }

    [Fact]
    public async Task A_wake_without_a_new_event_during_a_turn_reports_no_newer_events()
    {
        // Pumps, sweeps and the shutdown drain wake conversations as a hint; a grain must not take
        // such a wake for newer customer messages (it would drop a reply nobody answers later).
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new GrainLog { Gate = _ => { entered.TrySetResult(); return release.Task; } };
        await using var harness = await RuntimeHarness.StartAsync(log: log);
        var key = new ConversationKey("acme", "hint");

        await harness.SendAsync(key, "e1", "1");
        await entered.Task.WaitAsync(TimeSpan.FromSeconds(10));
        harness.Runtime.Wake(key);
        harness.Runtime.Wake(key);
        release.SetResult();

        await Eventually.TrueAsync(() => harness.Log.TurnSizes.TryGetValue(key, out var sizes) && sizes.Count == 1, "one turn ran");
        await harness.StopAsync();
        Assert.False(harness.Log.NewerPendingSeen.GetValueOrDefault(key));
        Assert.Empty(harness.Log.NewerSeenBodies);
    }

    [Fact]
    public async Task Same_dedupe_key_delivered_concurrently_from_8_tasks_reaches_the_grain_once()
    {
        await using var harness = await RuntimeHarness.StartAsync();
        var key = new ConversationKey("acme", "dedupe");
        using var start = new Barrier(8);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            start.SignalAndWait();
            return await harness.SendAsync(key, "same-delivery", "only-once");
        })));
        await harness.SendAsync(key, "marker", "marker");

        await Eventually.TrueAsync(() => harness.Log.EventsOf(key).Contains("marker"), "marker processed");
        Assert.Equal(1, results.Sum(r => r.Appended));
        Assert.Equal(["only-once", "marker"], harness.Log.EventsOf(key));
    }

    [Fact]
    public async Task A_failing_turn_keeps_its_events_and_is_retried()
    {
        var log = new GrainLog();
        var failures = 2;
        log.Fail = _ => Interlocked.Decrement(ref failures) >= 0;
        await using var harness = await RuntimeHarness.StartAsync(new() { ["Conversations:Runtime:TurnRetryDelay"] = "00:00:00.020" }, log);
        var key = new ConversationKey("acme", "flaky");

        await harness.SendAsync(key, "e1", "1");

        await Eventually.TrueAsync(() => harness.Log.EventsOf(key).Count == 1, "event processed after retries");
        Assert.Equal(["1"], harness.Log.EventsOf(key));
        Assert.Equal(0, (await harness.Store.ReadAsync(key, CancellationToken.None))!.PendingEvents);
    }

    [Fact]
    public async Task Stopping_runs_pending_events_and_sends_their_actions_first()
    {
        var log = new GrainLog { ActionsFor = body => [$"reply-{body}"] };
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        log.Gate = _ => release.Task;
        var harness = await RuntimeHarness.StartAsync(log: log);
        var keys = Enumerable.Range(0, 50).Select(i => new ConversationKey("acme", $"stop-{i}")).ToArray();
        foreach (var key in keys) await harness.SendAsync(key, "e1", key.ConversationId);

        var stopping = harness.StopAsync();
        release.SetResult();
        await stopping;

        Assert.All(keys, key => Assert.Equal([$"reply-{key.ConversationId}"], harness.Sender.SentTo(key)));
        await harness.DisposeAsync();
    }
}
