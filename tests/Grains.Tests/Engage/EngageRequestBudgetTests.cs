using Conversations.TestSupport.Time;
using Conversations.Grains.Platforms.Engage.Http;
using Conversations.TestSupport.Engage;

namespace Conversations.Grains.Tests.Engage;

public sealed class EngageRequestBudgetTests
{
    [Fact]
    public async Task The_burst_is_free_and_the_next_request_waits_for_a_refill()
    {
        var clock = new TimerCountingTimeProvider();
        var budget = new EngageRequestBudget(450, clock);
        Assert.Equal(15, budget.Burst);
        for (var i = 0; i < budget.Burst; i++) Assert.True(budget.AcquireAsync(CancellationToken.None).IsCompletedSuccessfully);

        var queued = budget.AcquireAsync(CancellationToken.None).AsTask();
        Assert.False(queued.IsCompleted);
        // Refill is (450 - 15) per minute: one token every 60/435 s ≈ 138 ms.
        clock.Advance(TimeSpan.FromMilliseconds(130));
        Assert.False(queued.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(10));
        await queued.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task No_sixty_second_window_starts_more_than_the_budget_and_queued_requests_all_get_through()
    {
        var clock = new TimerCountingTimeProvider();
        var budget = new EngageRequestBudget(450, clock);
        var start = clock.GetUtcNow();
        var grants = new List<DateTimeOffset>();
        var tasks = Enumerable.Range(0, 1200).Select(async _ =>
        {
            await budget.AcquireAsync(CancellationToken.None);
            lock (grants) grants.Add(clock.GetUtcNow());
        }).ToList();

        for (var step = 0; step < 4000 && tasks.Any(t => !t.IsCompleted); step++)
        {
            clock.Advance(TimeSpan.FromMilliseconds(50));
            // Let the released waiters record their grant time before the clock moves again.
            while (tasks.Count(t => !t.IsCompleted) != clock.PendingTimers) await Task.Yield();
        }
        await Task.WhenAll(tasks);

        Assert.Equal(1200, grants.Count);
        var ordered = grants.OrderBy(t => t).ToList();
        var worst = 0;
        for (int end = 0, begin = 0; end < ordered.Count; end++)
        {
            while (ordered[end] - ordered[begin] >= TimeSpan.FromMinutes(1)) begin++;
            worst = Math.Max(worst, end - begin + 1);
        }
        Assert.InRange(worst, 400, 450);
        // 1200 requests at 435/min after a burst of 15: a little under 2.7 minutes of queueing.
        Assert.InRange((ordered[^1] - start).TotalSeconds, 150, 170);
    }

    [Fact]
    public async Task A_cancelled_wait_gives_its_slot_back()
    {
        var clock = new TimerCountingTimeProvider();
        var budget = new EngageRequestBudget(60, clock); // burst 2, then one per ~1.03 s
        await budget.AcquireAsync(CancellationToken.None);
        await budget.AcquireAsync(CancellationToken.None);
        using var cts = new CancellationTokenSource();
        var cancelled = budget.AcquireAsync(cts.Token).AsTask();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
        // Without the give-back the next slot would be two refills away (~2.07 s), not one (~1.03 s).
        var next = budget.AcquireAsync(CancellationToken.None).AsTask();
        clock.Advance(TimeSpan.FromSeconds(0.9));
        Assert.False(next.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(0.2));
        await next.WaitAsync(TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_silo_spends_only_its_share_of_the_tenant_budget_and_follows_it_as_shards_move()
    {
        var clock = new TimerCountingTimeProvider();
        var share = new SettableShare { Fraction = 0.5 };
        var budget = new EngageRequestBudget(450, clock, share);
        Assert.Equal(225, budget.RequestsPerMinute);
        Assert.Equal(7, budget.Burst);

        // A silo that owns half the shards, under steady demand: its half of the budget per minute.
        Assert.InRange(await GrantedInAMinuteAsync(budget, clock), 215, 225);

        // A third silo joins and this one keeps a third: new demand gets a third of the budget.
        // (Requests already queued keep the slots they reserved.)
        share.Fraction = 1 / 3.0;
        Assert.InRange(await GrantedInAMinuteAsync(budget, clock), 140, 150);
    }

    [Fact]
    public async Task When_the_share_changes_queued_requests_keep_their_slots_and_new_ones_line_up_behind_them()
    {
        var clock = new TimerCountingTimeProvider();
        var share = new SettableShare { Fraction = 0.25 }; // 112/min: burst 3, then one slot every ~0.55 s
        var budget = new EngageRequestBudget(450, clock, share);
        var grants = new List<(string Name, DateTimeOffset At)>();
        async Task Request(string name)
        {
            await budget.AcquireAsync(CancellationToken.None);
            lock (grants) grants.Add((name, clock.GetUtcNow()));
        }
        var queued = Enumerable.Range(0, 40).Select(i => Request($"a{i}")).ToList();
        await AdvanceAsync(clock, queued, TimeSpan.FromSeconds(2));

        // Another silo left: this one now owns everything. Newcomers must not overtake the queue
        // (that would double this silo's rate while the old slots still fire).
        share.Fraction = 1;
        var later = Enumerable.Range(0, 10).Select(i => Request($"b{i}")).ToList();
        List<Task> all = [.. queued, .. later];
        var started = clock.GetUtcNow();
        while (all.Any(t => !t.IsCompleted)) await AdvanceAsync(clock, all, TimeSpan.FromSeconds(1));

        Assert.Equal(50, grants.Count);
        var lastQueued = grants.Where(g => g.Name.StartsWith('a')).Max(g => g.At);
        var firstLater = grants.Where(g => g.Name.StartsWith('b')).Min(g => g.At);
        Assert.True(lastQueued <= firstLater, $"a newcomer started at {firstLater:ss.fff}, before the queue's last slot at {lastQueued:ss.fff}");
        // The queue drained on its old slots (~37 * 0.55 s after the first 2 s), the newcomers right behind at 435/min.
        Assert.InRange((clock.GetUtcNow() - started).TotalSeconds, 17, 22);
    }

    /// <summary>Queues more requests than a minute allows, counts the grants in one minute, then drains the rest.</summary>
    private static async Task<int> GrantedInAMinuteAsync(EngageRequestBudget budget, TimerCountingTimeProvider clock)
    {
        await AdvanceAsync(clock, [], TimeSpan.FromMinutes(1)); // idle: the bucket refills to its burst
        var granted = 0;
        var demand = Enumerable.Range(0, 300).Select(async _ =>
        {
            await budget.AcquireAsync(CancellationToken.None);
            Interlocked.Increment(ref granted);
        }).ToList();
        await AdvanceAsync(clock, demand, TimeSpan.FromMinutes(1) - TimeSpan.FromMilliseconds(50));
        var inAMinute = Volatile.Read(ref granted);
        while (demand.Any(t => !t.IsCompleted)) await AdvanceAsync(clock, demand, TimeSpan.FromSeconds(10));
        return inAMinute;
    }

    /// <summary>Moves the clock in 50 ms steps, letting released waiters run between steps.</summary>
    private static async Task AdvanceAsync(TimerCountingTimeProvider clock, List<Task> waiters, TimeSpan period)
    {
        for (var elapsed = TimeSpan.Zero; elapsed < period; elapsed += TimeSpan.FromMilliseconds(50))
        {
            clock.Advance(TimeSpan.FromMilliseconds(50));
            while (waiters.Count(t => !t.IsCompleted) != clock.PendingTimers) await Task.Yield();
        }
    }

    private sealed class SettableShare : IClusterShare
    {
        public double Fraction { get; set; } = 1;
    }
}
