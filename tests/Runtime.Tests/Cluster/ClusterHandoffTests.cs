using System.Collections.Concurrent;
using Conversations.Runtime.Tests.Cluster.Harness;
using Xunit.Abstractions;

namespace Conversations.Runtime.Tests.Cluster;

/// <summary>Moving shards between live silos: scale-up rebalance, graceful drain, F7 (stuck handoff), F8 (churn).</summary>
public sealed class ClusterHandoffTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(25);

    /// <summary>Sends numbered messages to the keys until stopped; returns the last number sent per key.</summary>
    private static async Task<ConcurrentDictionary<ConversationKey, int>> SendUntilAsync(ClusterHarness harness, IReadOnlyList<ConversationKey> keys, Task stop)
    {
        var sent = new ConcurrentDictionary<ConversationKey, int>();
        var n = 0;
        while (!stop.IsCompleted)
        {
            n++;
            await Parallel.ForEachAsync(keys, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (key, _) =>
            {
                await harness.SendAsync(key, n);
                sent[key] = n;
            });
            await Task.Delay(20);
        }
        return sent;
    }

    [Fact]
    public async Task A_third_silo_takes_its_share_under_load_in_bounded_rounds_without_loss()
    {
        await using var harness = await ClusterHarness.CreateAsync("scaleup");
        harness.Settings["Conversations:Cluster:MaxMovesPerRound"] = "8";
        var a = await harness.StartSiloAsync();
        var b = await harness.StartSiloAsync();
        await harness.WaitForAllShardsOwnedAsync(Settle, a, b);
        var keys = Enumerable.Range(0, 80).Select(i => new ConversationKey("acme", $"s{i}")).ToList();
        var stop = new TaskCompletionSource();
        var sending = SendUntilAsync(harness, keys, stop.Task);

        await Task.Delay(300);
        var joinedAt = TimeProvider.System.GetTimestamp();
        var c = await harness.StartSiloAsync();
        var maxHandoffsInFlight = 0L;
        await ClusterHarness.WaitUntilAsync(async () =>
        {
            maxHandoffsInFlight = Math.Max(maxHandoffsInFlight, await harness.ScalarAsync<long>("select count(*) from shard where handoff_to is not null"));
            var counts = new[] { a, b, c }.Select(s => s.Ownership.Owned.Count).ToList();
            return counts.Sum() == ClusterHarness.ShardCount && counts.Max() - counts.Min() <= 1;
        }, Settle, "three balanced silos");
        var rebalance = TimeProvider.System.GetElapsedTime(joinedAt);
        stop.SetResult();
        var sent = await sending;
        output.WriteLine($"rebalance to 3 silos: {rebalance.TotalMilliseconds:F0} ms, at most {maxHandoffsInFlight} handoffs in flight");

        Assert.InRange(maxHandoffsInFlight, 0, 8);
        Assert.InRange(c.Ownership.Owned.Count, 21, 22);
        await ClusterAssertions.AssertExactlyOnceInOrderAsync(harness, sent, Settle);
        Assert.Contains(harness.Log.Turns, t => t.Silo == c.Name);
    }

    [Fact]
    public async Task Graceful_drain_hands_every_shard_over_without_waiting_for_the_lease()
    {
        await using var harness = await ClusterHarness.CreateAsync("drain");
        // A long lease: left to expire, A's shards could not reach B for ~29 s (TTL after A's last renew, plus grace),
        // so a handover within the generous 20 s bound below can only be the drain's.
        harness.Settings["Conversations:Cluster:LeaseTtl"] = "00:00:30";
        harness.Settings["Conversations:Cluster:RenewInterval"] = "00:00:01";
        harness.Settings["Conversations:Cluster:LeaseMargin"] = "00:00:01";
        var a = await harness.StartSiloAsync();
        var b = await harness.StartSiloAsync();
        await harness.WaitForAllShardsOwnedAsync(Settle, a, b);
        await ClusterHarness.WaitUntilAsync(() => Math.Abs(a.Ownership.Owned.Count - b.Ownership.Owned.Count) <= 1, Settle, "balanced shards");
        var keys = Enumerable.Range(0, 60).Select(i => new ConversationKey("acme", $"d{i}")).ToList();
        var stop = new TaskCompletionSource();
        var sending = SendUntilAsync(harness, keys, stop.Task);
        await Task.Delay(300);

        var drainStarted = TimeProvider.System.GetTimestamp();
        var incarnation = a.Membership.Incarnation;
        await a.DrainAsync();
        var drained = TimeProvider.System.GetElapsedTime(drainStarted);
        await harness.WaitForAllShardsOwnedAsync(TimeSpan.FromSeconds(20), b);
        var handedOver = TimeProvider.System.GetElapsedTime(drainStarted);
        await Task.Delay(300);
        stop.SetResult();
        var sent = await sending;
        output.WriteLine($"drain took {drained.TotalMilliseconds:F0} ms; all shards on the survivor after {handedOver.TotalMilliseconds:F0} ms (lease TTL 30 s)");

        // Handed over, not left to expire: well within the 30 s lease, and the silo row is gone.
        Assert.True(handedOver < TimeSpan.FromSeconds(20), $"handover took {handedOver}");
        Assert.Equal(0L, await harness.ScalarAsync<long>($"select count(*) from silo where incarnation = {incarnation}"));
        await ClusterAssertions.AssertExactlyOnceInOrderAsync(harness, sent, Settle);
    }

    [Fact]
    public async Task A_stuck_handoff_is_forced_at_its_deadline_and_the_late_release_is_a_no_op()
    {
        // F7: the owner cannot finish (a turn held open far longer than it would wait); the coordinator forces the move.
        await using var harness = await ClusterHarness.CreateAsync("stuck");
        // The owner would wait 20 s for its held turn: a move before that can only be the coordinator's force.
        harness.Settings["Conversations:Cluster:HandoffDeadline"] = "00:00:25";
        harness.Settings["Conversations:Cluster:HandoffTurnTimeout"] = "00:00:20";
        var a = await harness.StartSiloAsync();
        await harness.WaitForAllShardsOwnedAsync(Settle, a);
        var key = new ConversationKey("acme", "stuck");
        var shard = key.Shard(ClusterHarness.ShardCount);
        var gate = harness.Log.HoldTurnOpen(key);
        await harness.SendAsync(key, 1);
        await ClusterHarness.WaitUntilAsync(() => harness.Log.Turns.Any(t => t.Key == key), Settle, "turn started");
        var epoch = a.Ownership.Owned[shard];

        // A second silo joins and the coordinator asks A to hand shards over (including the stuck one, asked directly).
        var b = await harness.StartSiloAsync();
        await ClusterHarness.WaitUntilAsync(() => b.Membership.Incarnation != 0, Settle, "B joined");
        var requestedAt = TimeProvider.System.GetTimestamp();
        await harness.ExecuteAsync($"update shard set handoff_to = {b.Membership.Incarnation}, handoff_deadline = clock_timestamp() + interval '1 second' where shard_id = {shard}");
        await harness.ExecuteAsync("select pg_notify('conversations_cluster', 'test')");
        // Block A's release of this shard: its runtime waits for the held turn, then the release finds the handoff already forced.
        await ClusterHarness.WaitUntilAsync(async () => await harness.ScalarAsync<long>($"select coalesce(owner, 0) from shard where shard_id = {shard}") == b.Membership.Incarnation,
            TimeSpan.FromSeconds(15), "handoff forced");
        // Forced by the coordinator after the 1 s deadline (a few rounds later on a saturated CI machine),
        // long before the owner would have given up on its turn (20 s).
        Assert.True(TimeProvider.System.GetElapsedTime(requestedAt) < TimeSpan.FromSeconds(15));
        var newEpoch = await harness.ScalarAsync<long>($"select epoch from shard where shard_id = {shard}");
        Assert.True(newEpoch > epoch);

        // A late release by the old owner matches nothing.
        var late = await new Conversations.Runtime.Cluster.ClusterDatabase(harness.DataSource).ReleaseAsync(
            a.Membership.Incarnation, [new Conversations.Runtime.Cluster.ShardMove(shard, a.Membership.Incarnation, b.Membership.Incarnation)], requireHandoff: true, CancellationToken.None);
        Assert.Empty(late);
        Assert.Equal(newEpoch, await harness.ScalarAsync<long>($"select epoch from shard where shard_id = {shard}"));

        gate.SetResult();
        harness.Log.TurnGates.TryRemove(key, out _);
        await ClusterHarness.WaitUntilAsync(async () => (await harness.HistoryAsync(key)).Length == 1, Settle, "processed by the new owner");
        Assert.Equal(new[] { 1 }, await harness.HistoryAsync(key));
        Assert.Equal(0L, await harness.ScalarAsync<long>($"select count(*) from outbox where fence = {epoch}"));
    }

    [Fact]
    public async Task Rolling_churn_keeps_every_message_and_leaves_no_orphaned_shard()
    {
        // F8 (shortened): silos start, drain and die at random while messages flow.
        await using var harness = await ClusterHarness.CreateAsync("churn");
        var random = new Random(7);
        var live = new List<TestSilo> { await harness.StartSiloAsync(), await harness.StartSiloAsync() };
        await harness.WaitForAllShardsOwnedAsync(Settle, [.. live]);
        var keys = Enumerable.Range(0, 50).Select(i => new ConversationKey("acme", $"r{i}")).ToList();
        var stop = new TaskCompletionSource();
        var sending = SendUntilAsync(harness, keys, stop.Task);

        for (var step = 0; step < 6; step++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(random.Next(500, 1500)));
            if (live.Count < 3 || (live.Count < 4 && random.Next(2) == 0))
                live.Add(await harness.StartSiloAsync());
            else
            {
                var victim = live[random.Next(live.Count)];
                live.Remove(victim);
                if (random.Next(3) == 0) await victim.KillAsync(); else await victim.DrainAsync();
            }
        }
        stop.SetResult();
        var sent = await sending;

        await harness.WaitForAllShardsOwnedAsync(Settle, [.. live]);
        await ClusterAssertions.AssertExactlyOnceInOrderAsync(harness, sent, TimeSpan.FromSeconds(30));
        var epochs = await harness.ScalarAsync<long>("select count(distinct epoch) from shard");
        Assert.Equal((long)ClusterHarness.ShardCount, epochs);
    }
}
