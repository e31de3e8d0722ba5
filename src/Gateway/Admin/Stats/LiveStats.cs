using Microsoft.Extensions.Options;

namespace Conversations.Gateway.Admin.Stats;

/// <summary>
/// The console's recent history: each <see cref="Record"/> turns the difference between two readings
/// of the running totals into one sample (rates per second over the time that really passed, AI
/// latency percentiles of the calls that finished in between, handoffs by reason) and keeps it in a
/// ring bounded to the window.
/// </summary>
public sealed class LiveStats
{
    private readonly TimeProvider _time;
    private readonly LiveStatsSample?[] _ring;
    private readonly long[] _aiDelta = new long[LatencyHistogram.BucketCount];
    private readonly Lock _gate = new();
    private MeterTotals? _previous;
    private long _previousAt;
    private int _next;

    public LiveStats(IOptions<LiveStatsOptions> options, TimeProvider time)
    {
        _time = time;
        Interval = options.Value.Interval;
        Window = options.Value.Window;
        _ring = new LiveStatsSample?[options.Value.Capacity];
    }

    public TimeSpan Interval { get; }
    public TimeSpan Window { get; }

    /// <summary>The reading the first sample is measured from.</summary>
    public void Start(MeterTotals totals)
    {
        lock (_gate)
        {
            _previous = totals;
            _previousAt = _time.GetTimestamp();
        }
    }

    /// <summary>Adds the sample since the previous reading and returns it; null for the very first reading (it only starts the count).</summary>
    public LiveStatsSample? Record(MeterTotals totals, TimeSpan? inboxLag)
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            if (_previous is not { } previous)
            {
                _previous = totals;
                _previousAt = now;
                return null;
            }
            var seconds = _time.GetElapsedTime(_previousAt, now).TotalSeconds;
            if (seconds <= 0) return null;

            long aiCalls = 0;
            for (var i = 0; i < _aiDelta.Length; i++) aiCalls += _aiDelta[i] = totals.AiLatencyBuckets[i] - previous.AiLatencyBuckets[i];
            var handoffs = new Dictionary<string, long>(StringComparer.Ordinal);
            foreach (var (reason, count) in totals.Handoffs)
            {
                var added = count - previous.Handoffs.GetValueOrDefault(reason);
                if (added > 0) handoffs[reason] = added;
            }

            double Rate(long current, long before) => Math.Round((current - before) / seconds, 3);
            static double? Ms(double? value) => value is { } v ? Math.Round(v, 1) : null;
            var sample = new LiveStatsSample(
                _time.GetUtcNow(),
                Rate(totals.Webhooks, previous.Webhooks),
                Rate(totals.FailedWebhooks, previous.FailedWebhooks),
                Rate(totals.Turns, previous.Turns),
                aiCalls,
                Ms(LatencyHistogram.Quantile(_aiDelta, 0.50)),
                Ms(LatencyHistogram.Quantile(_aiDelta, 0.99)),
                handoffs,
                inboxLag is { } lag ? Math.Round(lag.TotalSeconds, 3) : null);

            _ring[_next] = sample;
            _next = (_next + 1) % _ring.Length;
            _previous = totals;
            _previousAt = now;
            return sample;
        }
    }

    /// <summary>The samples of the window, oldest first (a sampler that stalled leaves no stale points).</summary>
    public IReadOnlyList<LiveStatsSample> Samples()
    {
        var since = _time.GetUtcNow() - Window;
        var samples = new List<LiveStatsSample>(_ring.Length);
        lock (_gate)
        {
            for (var i = 0; i < _ring.Length; i++)
                if (_ring[(_next + i) % _ring.Length] is { } sample && sample.At >= since) samples.Add(sample);
        }
        return samples;
    }

    public LiveStatsView View(IReadOnlyList<string> meters) =>
        new(_time.GetUtcNow(), Environment.MachineName, Interval.TotalSeconds, Window.TotalSeconds, meters, Samples());
}
