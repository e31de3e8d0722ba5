namespace Conversations.Grains.Ai;

/// <summary>
/// Shape of the AI resilience pipeline (Conversations:Ai:Resilience). Per tenant: Ai:Timeout per attempt
/// and Ai:MaxRetries. These tune the backoff and the breaker shared by all tenants.
/// </summary>
public sealed class AiResilienceOptions
{
    /// <summary>First retry delay; doubles per attempt, with jitter. Retry-After overrides it.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);
    /// <summary>A Retry-After longer than this is not waited for (the attempt fails instead).</summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);
    public double BreakerFailureRatio { get; set; } = 0.5;
    public int BreakerMinimumThroughput { get; set; } = 6;
    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(30);
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(15);
    /// <summary>
    /// Open connections per AI server at most (0, the default: no cap). A slow LLM over HTTP/1.1 needs one
    /// connection per call in flight, so a cap queues calls (inside Ai:Timeout); set it when the process's
    /// file limit is lower than the peak of concurrent AI calls. HTTP/2 servers (TLS) multiplex instead, and the cap does not apply to them.
    /// </summary>
    public int MaxConnectionsPerServer { get; set; }

    public IEnumerable<string> Validate()
    {
        if (RetryBaseDelay < TimeSpan.Zero) yield return "Conversations:Ai:Resilience:RetryBaseDelay must be >= 0.";
        if (BreakerFailureRatio is <= 0 or > 1) yield return "Conversations:Ai:Resilience:BreakerFailureRatio must be in (0, 1].";
        if (BreakerMinimumThroughput < 2) yield return "Conversations:Ai:Resilience:BreakerMinimumThroughput must be at least 2.";
        if (BreakerSamplingDuration < TimeSpan.FromMilliseconds(500)) yield return "Conversations:Ai:Resilience:BreakerSamplingDuration must be at least 500 ms.";
        if (BreakerBreakDuration < TimeSpan.FromMilliseconds(500)) yield return "Conversations:Ai:Resilience:BreakerBreakDuration must be at least 500 ms.";
        if (MaxConnectionsPerServer < 0) yield return "Conversations:Ai:Resilience:MaxConnectionsPerServer must be 0 (no cap) or positive.";
    }
}
