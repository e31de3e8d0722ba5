namespace Conversations.Grains.Http;

/// <summary>
/// Calls to platform REST APIs (Conversations:Platforms:Http). No retries here: failed actions go back to
/// the outbox relay, which retries with backoff. The breaker stops hammering a platform that is down.
/// </summary>
public sealed class PlatformHttpOptions
{
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);
    public double BreakerFailureRatio { get; set; } = 0.5;
    public int BreakerMinimumThroughput { get; set; } = 10;
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(10);
    /// <summary>Open connections per platform server at most (0: no cap); more requests wait for a free one.</summary>
    public int MaxConnectionsPerServer { get; set; } = 256;

    public IEnumerable<string> Validate()
    {
        if (Timeout <= TimeSpan.Zero) yield return "Conversations:Platforms:Http:Timeout must be positive.";
        if (BreakerFailureRatio is <= 0 or > 1) yield return "Conversations:Platforms:Http:BreakerFailureRatio must be in (0, 1].";
        if (BreakerMinimumThroughput < 2) yield return "Conversations:Platforms:Http:BreakerMinimumThroughput must be at least 2.";
        if (BreakerSamplingDuration < TimeSpan.FromMilliseconds(500)) yield return "Conversations:Platforms:Http:BreakerSamplingDuration must be at least 500 ms.";
        if (BreakerBreakDuration < TimeSpan.FromMilliseconds(500)) yield return "Conversations:Platforms:Http:BreakerBreakDuration must be at least 500 ms.";
        if (MaxConnectionsPerServer < 0) yield return "Conversations:Platforms:Http:MaxConnectionsPerServer must be 0 (no cap) or positive.";
    }
}
