namespace Conversations.Grains.Platforms.Engage.Http;

/// <summary>
/// Holds one tenant under its requests-per-minute budget. Each caller reserves the next free slot
/// and waits for it, so a burst queues instead of earning 429s. Slots are spaced evenly at
/// <c>RequestsPerMinute - Burst</c> per minute, and up to <see cref="Burst"/> may start at once after
/// a quiet spell, so any 60-second window starts at most <c>RequestsPerMinute</c> requests.
/// In a cluster the budget is the tenant's budget times this process's share of the conversations,
/// read at every reservation: reserved slots keep their time, later ones are spaced at the new rate
/// behind them, so a change of share neither lets new requests overtake the queue nor stalls it.
/// </summary>
public sealed class EngageRequestBudget
{
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly IClusterShare _share;
    /// <summary>When the slot after the last reserved one is due (GCRA's theoretical arrival time).</summary>
    private DateTimeOffset _nextSlot;
    /// <summary>The latest start handed out: slots are granted in order, whatever the share does.</summary>
    private DateTimeOffset _lastStart;
    private long _waits;

    public EngageRequestBudget(int requestsPerMinute, TimeProvider time, IClusterShare? share = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(requestsPerMinute, 1);
        _time = time;
        _share = share ?? WholeCluster.Instance;
        TenantRequestsPerMinute = requestsPerMinute;
        _nextSlot = time.GetUtcNow();
    }

    /// <summary>The tenant's budget for the whole deployment.</summary>
    public int TenantRequestsPerMinute { get; }

    /// <summary>This process's part of it now.</summary>
    public int RequestsPerMinute => ShareOf(_share.Fraction);

    public int Burst => BurstOf(RequestsPerMinute);

    /// <summary>How many acquisitions had to wait (for metrics and tests).</summary>
    public long Waits => Interlocked.Read(ref _waits);

    /// <summary>Reserves the next slot; completes when it is due. Cancelling gives the slot back.</summary>
    public ValueTask AcquireAsync(CancellationToken cancellationToken)
    {
        var perMinute = ShareOf(_share.Fraction);
        var burst = BurstOf(perMinute);
        var spacing = TimeSpan.FromMinutes(1.0 / Math.Max(1, perMinute - burst));
        TimeSpan wait;
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            var next = _nextSlot > now ? _nextSlot : now;
            // Up to `burst` slots may start before `next`; this one starts when that allowance is used up,
            // and never before a slot reserved earlier (a larger burst after a share change must not overtake).
            var start = next - spacing * (burst - 1);
            if (start < _lastStart) start = _lastStart;
            _lastStart = start;
            _nextSlot = next + spacing;
            if (start <= now) return ValueTask.CompletedTask;
            wait = start - now;
        }
        Interlocked.Increment(ref _waits);
        return WaitAsync(wait, spacing, cancellationToken);
    }

    private async ValueTask WaitAsync(TimeSpan wait, TimeSpan spacing, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_gate) _nextSlot -= spacing;
            throw;
        }
    }

    private int ShareOf(double fraction) => Math.Max(1, (int)(TenantRequestsPerMinute * Math.Clamp(fraction, 0, 1)));

    private static int BurstOf(int perMinute) => Math.Max(1, perMinute / 30);
}
