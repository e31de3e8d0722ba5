namespace Conversations.Grains.Platforms.Engage.Http;

/// <summary>
/// A token bucket holding one tenant under its requests-per-minute budget. Callers reserve a slot
/// and wait for it (a burst queues instead of earning 429s). The bucket holds <see cref="Burst"/>
/// tokens and refills at <c>RequestsPerMinute - Burst</c> per minute, so any 60-second window
/// starts at most <c>RequestsPerMinute</c> requests.
/// </summary>
public sealed class EngageRequestBudget
{
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly double _perSecond;
    private double _tokens;
    private DateTimeOffset _refilledAt;
    private long _waits;

    public EngageRequestBudget(int requestsPerMinute, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(requestsPerMinute, 1);
        _time = time;
        RequestsPerMinute = requestsPerMinute;
        Burst = Math.Max(1, requestsPerMinute / 30);
        _perSecond = Math.Max(1, requestsPerMinute - Burst) / 60.0;
        _tokens = Burst;
        _refilledAt = time.GetUtcNow();
    }

    public int RequestsPerMinute { get; }
    public int Burst { get; }

    /// <summary>How many acquisitions had to wait (for metrics and tests).</summary>
    public long Waits => Interlocked.Read(ref _waits);

    /// <summary>Reserves the next slot; completes when it is due. Cancelling gives the slot back.</summary>
    public ValueTask AcquireAsync(CancellationToken cancellationToken)
    {
        TimeSpan wait;
        lock (_gate)
        {
            Refill();
            _tokens -= 1;
            if (_tokens >= 0) return ValueTask.CompletedTask;
            wait = TimeSpan.FromSeconds(-_tokens / _perSecond);
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

    private void Refill()
    {
        var now = _time.GetUtcNow();
        var elapsed = (now - _refilledAt).TotalSeconds;
        if (elapsed <= 0) return;
        _tokens = Math.Min(Burst, _tokens + elapsed * _perSecond);
        _refilledAt = now;
    }
}
