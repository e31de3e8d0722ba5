namespace Conversations.Grains;

/// <summary>
/// Sends one written action through the platform's <see cref="IOutboxSender"/>, never throwing: an
/// unexpected exception is worth a retry like a network error. The grain owns retries and parking.
/// </summary>
public sealed class ActionSender(IOutboxSender sender)
{
    public async ValueTask<SendOutcome> SendAsync(ConversationKey key, OutboxMessage message, CancellationToken cancellationToken)
    {
        try { return await sender.SendAsync(key, message, cancellationToken); }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { throw; }
        catch (Exception ex) { return SendOutcome.Retry(ex.GetType().Name + ": " + ex.Message); }
    }
}
