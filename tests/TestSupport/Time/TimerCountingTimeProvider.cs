using Microsoft.Extensions.Time.Testing;

namespace Conversations.TestSupport.Time;

/// <summary>
/// <see cref="FakeTimeProvider"/> that also says how many of its timers are armed, so a test that
/// moves the clock can wait until every released waiter has queued again before the next step.
/// </summary>
public sealed class TimerCountingTimeProvider(DateTimeOffset start) : FakeTimeProvider(start)
{
    private readonly List<CountedTimer> _timers = [];

    public TimerCountingTimeProvider() : this(new DateTimeOffset(2026, 3, 10, 13, 0, 0, TimeSpan.Zero)) { }

    /// <summary>Timers due in the future (created or changed with a finite due time, not yet fired or disposed).</summary>
    public int PendingTimers
    {
        get
        {
            lock (_timers) return _timers.Count(t => t.DueAt is { } due && due > GetUtcNow());
        }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        CountedTimer? counted = null;
        var inner = base.CreateTimer(s => { counted?.Fired(); callback(s); }, state, dueTime, period);
        counted = new CountedTimer(this, inner, dueTime, period);
        lock (_timers) _timers.Add(counted);
        return counted;
    }

    private void Forget(CountedTimer timer)
    {
        lock (_timers) _timers.Remove(timer);
    }

    private sealed class CountedTimer : ITimer
    {
        private readonly TimerCountingTimeProvider _clock;
        private readonly ITimer _inner;
        private TimeSpan _period;

        public CountedTimer(TimerCountingTimeProvider clock, ITimer inner, TimeSpan dueTime, TimeSpan period)
        {
            _clock = clock;
            _inner = inner;
            Arm(dueTime, period);
        }

        public DateTimeOffset? DueAt { get; private set; }

        public void Fired() => DueAt = _period == Timeout.InfiniteTimeSpan || _period == TimeSpan.Zero ? null : _clock.GetUtcNow() + _period;

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            Arm(dueTime, period);
            return _inner.Change(dueTime, period);
        }

        private void Arm(TimeSpan dueTime, TimeSpan period)
        {
            _period = period;
            DueAt = dueTime == Timeout.InfiniteTimeSpan ? null : _clock.GetUtcNow() + dueTime;
        }

        public void Dispose()
        {
            DueAt = null;
            _clock.Forget(this);
            _inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
