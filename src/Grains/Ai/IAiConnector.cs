namespace Conversations.Grains.Ai;

/// <summary>One AI engine (Ai:Kind). Throws on failure; the caller decides what a failure means.</summary>
public interface IAiConnector
{
    AiKind Kind { get; }

    ValueTask<AiReply> RespondAsync(AiRequest request, CancellationToken cancellationToken);
}

/// <summary>The AI as the grain sees it: the tenant's connector behind its resilience pipeline.</summary>
public interface IAiClient
{
    /// <exception cref="AiUnavailableException">Every attempt failed, timed out, or the breaker is open.</exception>
    ValueTask<AiReply> RespondAsync(AiRequest request, CancellationToken cancellationToken);
}
