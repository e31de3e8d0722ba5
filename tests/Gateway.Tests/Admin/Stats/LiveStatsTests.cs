using Conversations.Gateway.Admin.Stats;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Conversations.Gateway.Tests.Admin.Stats;

/// <summary>Samples from two readings of the running totals, on a fake clock.</summary>
public sealed class LiveStatsTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));

    private LiveStats Stats(TimeSpan? interval = null, TimeSpan? window = null) => new(
        Options.Create(new LiveStatsOptions { Interval = interval ?? TimeSpan.FromSeconds(5), Window = window ?? TimeSpan.FromMinutes(10) }), _time);

    private static MeterTotals Totals(long webhooks = 0, long failed = 0, long turns = 0, (double Ms, int Count)[]? ai = null, Dictionary<string, long>? handoffs = null)
    {
        var histogram = new LatencyHistogram();
        foreach (var (ms, count) in ai ?? [])
            for (var i = 0; i < count; i++) histogram.Record(ms);
        return new MeterTotals(webhooks, failed, turns, histogram.Snapshot(), handoffs ?? []);
    }

    [Fact]
    public void Rates_are_per_second_of_the_time_that_passed_between_two_readings()
    {
        var stats = Stats();
        stats.Start(Totals(webhooks: 100, failed: 10, turns: 40));

        _time.Advance(TimeSpan.FromSeconds(5));
        var first = stats.Record(Totals(webhooks: 150, failed: 10, turns: 65), TimeSpan.FromSeconds(1.5))!;
        // A late tick: the rate is over the 8 s that really passed, not the nominal 5.
        _time.Advance(TimeSpan.FromSeconds(8));
        var second = stats.Record(Totals(webhooks: 158, failed: 14, turns: 69), TimeSpan.Zero)!;

        Assert.Equal(10, first.WebhooksPerSecond);
        Assert.Equal(0, first.FailedWebhooksPerSecond);
        Assert.Equal(5, first.TurnsPerSecond);
        Assert.Equal(1.5, first.InboxLagSeconds);
        Assert.Equal(_time.GetUtcNow() - TimeSpan.FromSeconds(8), first.At);
        Assert.Equal(1, second.WebhooksPerSecond);
        Assert.Equal(0.5, second.FailedWebhooksPerSecond);
        Assert.Equal(0.5, second.TurnsPerSecond);
        Assert.Equal(0, second.InboxLagSeconds);
    }

    [Fact]
    public void AI_percentiles_are_those_of_the_calls_that_finished_in_the_interval()
    {
        var stats = Stats();
        stats.Start(Totals(ai: [(10, 500)]));

        _time.Advance(TimeSpan.FromSeconds(5));
        var slow = stats.Record(Totals(ai: [(10, 500), (300, 98), (2_000, 2)]), null)!;
        _time.Advance(TimeSpan.FromSeconds(5));
        var idle = stats.Record(Totals(ai: [(10, 500), (300, 98), (2_000, 2)]), null)!;

        Assert.Equal(100, slow.AiCalls);
        Assert.InRange(slow.AiP50Ms!.Value, 300 * 0.91, 300 * 1.09);
        Assert.InRange(slow.AiP99Ms!.Value, 2_000 * 0.91, 2_000 * 1.09);
        Assert.Equal(0, idle.AiCalls);
        Assert.Null(idle.AiP50Ms);
        Assert.Null(idle.AiP99Ms);
    }

    [Fact]
    public void Handoffs_are_the_reasons_counted_in_the_interval()
    {
        var stats = Stats();
        stats.Start(Totals(handoffs: new() { ["customer_asked"] = 3 }));

        _time.Advance(TimeSpan.FromSeconds(5));
        var sample = stats.Record(Totals(handoffs: new() { ["customer_asked"] = 5, ["ai_failure"] = 1 }), null)!;

        Assert.Equal(new Dictionary<string, long> { ["customer_asked"] = 2, ["ai_failure"] = 1 }, sample.Handoffs);
    }

    [Fact]
    public void An_unknown_inbox_lag_stays_unknown()
    {
        var stats = Stats();
        stats.Start(Totals());
        _time.Advance(TimeSpan.FromSeconds(5));

        Assert.Null(stats.Record(Totals(), inboxLag: null)!.InboxLagSeconds);
    }

    [Fact]
    public void The_first_reading_without_a_start_only_starts_the_count()
    {
        var stats = Stats();

        Assert.Null(stats.Record(Totals(webhooks: 50), null));
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(2, stats.Record(Totals(webhooks: 60), null)!.WebhooksPerSecond);
    }

    [Fact]
    public void The_ring_keeps_the_window_oldest_first_and_drops_what_fell_out_of_it()
    {
        var stats = Stats(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(30));
        stats.Start(Totals());
        for (var i = 1; i <= 10; i++)
        {
            _time.Advance(TimeSpan.FromSeconds(5));
            stats.Record(Totals(webhooks: i * 5), null);
        }

        var samples = stats.Samples();
        Assert.Equal(6, samples.Count);
        Assert.Equal(samples.OrderBy(s => s.At), samples);
        Assert.Equal(_time.GetUtcNow(), samples[^1].At);

        // A sampler that stalled (a suspended process) shows no stale points.
        _time.Advance(TimeSpan.FromSeconds(20));
        Assert.Equal(3, stats.Samples().Count);
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.Empty(stats.Samples());
    }

    [Fact]
    public void The_view_says_interval_window_meters_and_the_servers_time()
    {
        var stats = Stats(TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(1));
        stats.Start(Totals());
        _time.Advance(TimeSpan.FromSeconds(2));
        stats.Record(Totals(turns: 4), TimeSpan.Zero);

        var view = stats.View(["Conversations.Gateway"]);

        Assert.Equal(2, view.IntervalSeconds);
        Assert.Equal(60, view.WindowSeconds);
        Assert.Equal(_time.GetUtcNow(), view.Now);
        Assert.Equal(["Conversations.Gateway"], view.Meters);
        Assert.Equal(2, Assert.Single(view.Samples).TurnsPerSecond);
        Assert.False(string.IsNullOrEmpty(view.Host));
    }
}
