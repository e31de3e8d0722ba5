namespace Conversations.Runtime;

/// <summary>
/// How a gateway hands events to the runtime: append them durably to the conversation's inbox and
/// wake its owner. Returns once the append has committed; throws when it could not be stored.
/// </summary>
public interface IClusterClient
{
    ValueTask<Store.AppendResult> DeliverAsync(ConversationKey key, IReadOnlyList<NewInboxMessage> messages, CancellationToken cancellationToken);
}
