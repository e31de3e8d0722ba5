namespace Conversations;

/// <summary>Performs committed actions against the platform. Called in order per conversation, at least once per action.</summary>
public interface IOutboxSender
{
    ValueTask<SendOutcome> SendAsync(ConversationKey key, OutboxMessage message, CancellationToken cancellationToken);
}

public enum SendResult { Sent, RetryLater, Permanent }

/// <summary>How a send went: done, worth retrying (429, 5xx, timeouts; optionally after <see cref="RetryAfter"/>), or never going to work (other 4xx).</summary>
public readonly record struct SendOutcome(SendResult Kind, string? Error = null, TimeSpan? RetryAfter = null)
{
    public static SendOutcome Sent => new(SendResult.Sent);
    public static SendOutcome Retry(string error, TimeSpan? retryAfter = null) => new(SendResult.RetryLater, error, retryAfter);
    public static SendOutcome Failed(string error) => new(SendResult.Permanent, error);
}
