namespace Conversations.TestSupport;

/// <summary>A clock tests move by hand. Timers are not supported (only the wall clock is read).</summary>
public sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private readonly Lock _gate = new();
    private DateTimeOffset _now = start;

    public ManualTimeProvider() : this(new DateTimeOffset(2026, 3, 10, 13, 0, 0, TimeSpan.Zero)) { }

    public override DateTimeOffset GetUtcNow() { lock (_gate) return _now; }

    public void Advance(TimeSpan by) { lock (_gate) _now += by; }

    public void Set(DateTimeOffset now) { lock (_gate) _now = now; }
}
