namespace Conversations.TestSupport.Time;

/// <summary>The system clock with the wall time moved by <paramref name="skew"/> (the monotonic timestamps stay true): a silo whose clock is wrong.</summary>
public sealed class SkewedTimeProvider(TimeSpan skew) : TimeProvider
{
    public override DateTimeOffset GetUtcNow() => System.GetUtcNow() + skew;
}
