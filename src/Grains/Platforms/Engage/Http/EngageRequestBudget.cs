namespace Conversations.Grains.Platforms.Engage.Http;

/// <summary>
/// A token bucket holding one tenant under its requests-per-minute budget. Callers reserve a slot
/// and wait for it (a burst queues instead of earning 429s). The bucket holds <see cref="Burst"/>
/// tokens and refills at <c>RequestsPerMinute - Burst</c> per minute, so any 60-second window
/// starts at most <c>RequestsPerMinute</c> requests. In a cluster the budget is the tenant's budget
/// times this process's share of the conversations, read at every refill, so the silos together
/// stay within it as shards move.
/// </summary>
public sealed class EngageRequestBudget
{
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly IClusterShare _share;
    private double _tokens;
    private DateTimeOffset _refilledAt;
    private long _waits;

    public EngageRequestBudget(int requestsPerMinute, TimeProvider time, IClusterShare? share = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(requestsPerMinute, 1);
        _time = time;
        _share = share ?? WholeCluster.Instance;
        TenantRequestsPerMinute = requestsPerMinute;
        _tokens = Burst;
        _refilledAt = time.GetUtcNow();
    }

    /// <summary>The tenant's budget for the whole deployment.</summary>
    public int TenantRequestsPerMinute { get; }

    /// <summary>This process's part of it now.</summary>
    public int RequestsPerMinute => Math.Max(1, (int)(TenantRequestsPerMinute * Math.Clamp(_share.Fraction, 0, 1)));

    public int Burst => Math.Max(1, RequestsPerMinute / 30);

    private double PerSecond => Math.Max(1, RequestsPerMinute - Burst) / 60.0;

    /// <summary>How many acquisitions had to wait (for metrics and tests).</summary>
    public long Waits => Interlocked.Read(ref _waits);

    /// <summary>Reserves the next slot; completes when it is due. Cancelling gives the slot back.</summary>
    public ValueTask AcquireAsync(CancellationToken cancellationToken)
    {
        TimeSpan wait;
        lock (_gate)
        {
            var perSecond = Refill();
            _tokens -= 1;
            if (_tokens >= 0) return ValueTask.CompletedTask;
            wait = TimeSpan.FromSeconds(-_tokens / perSecond);
        }
        Interlocked.Increment(ref _waits);
        return WaitAsync(wait, cancellationToken);
    }

    private async ValueTask WaitAsync(TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(wait, _time, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            lock (_gate) _tokens = Math.Min(Burst, _tokens + 1);
            throw;
        }
    }

    /// <returns>The refill rate now (tokens per second).</returns>
    private double Refill()
    {
        var perSecond = PerSecond;
        var now = _time.GetUtcNow();
        var elapsed = (now - _refilledAt).TotalSeconds;
        if (elapsed > 0)
        {
            _tokens = Math.Min(Burst, _tokens + elapsed * perSecond);
            _refilledAt = now;
        }
        return perSecond;
    }
}
