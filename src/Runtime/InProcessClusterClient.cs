using Conversations.Runtime.Store;

namespace Conversations.Runtime;

/// <summary>The gateway and the runtime in one process: append to the store, then wake the activation directly.</summary>
public sealed class InProcessClusterClient(IConversationStore store, IConversationRuntime runtime) : IClusterClient
{
    public async ValueTask<AppendResult> DeliverAsync(ConversationKey key, IReadOnlyList<NewInboxMessage> messages, CancellationToken cancellationToken)
    {
        var result = await store.AppendAsync(key, messages, cancellationToken).ConfigureAwait(false);
        if (result.Appended > 0) runtime.Wake(key);
        return result;
    }
}
