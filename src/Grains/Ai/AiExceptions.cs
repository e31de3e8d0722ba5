namespace Conversations.Grains.Ai;

/// <summary>A failure worth another attempt (408, 429, 5xx, unreadable answer), optionally after the server's Retry-After.</summary>
public sealed class AiTransientException(string message, TimeSpan? retryAfter = null, Exception? inner = null) : Exception(message, inner)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}

/// <summary>A failure no retry will fix (401, 404, 400 after the fallbacks, quota exhausted).</summary>
public sealed class AiRejectedException(string message) : Exception(message);
