using System.Diagnostics;
using Conversations.Gateway.Hosting;
using Conversations.Storage;

namespace Conversations.Gateway.Cluster;

/// <summary>
/// Hands a webhook's events to the cluster: appends them durably (I1), then sends the conversation's
/// grain a one-way wake. The wake may be lost (no silo up, a silo dying); the re-drive finds the events.
/// </summary>
public sealed class InboxDelivery(IConversationStore store, IGrainAccess grains, GatewayLog log)
{
    /// <summary>Returns once the append has committed; throws when the events could not be stored.</summary>
    public async ValueTask<AppendResult> DeliverAsync(ConversationKey key, IReadOnlyList<NewInboxMessage> messages, CancellationToken cancellationToken)
    {
        // The webhook's trace goes into the inbox with its events: the turn that consumes them joins it.
        if (Activity.Current?.Id is { } traceParent) messages = [.. messages.Select(m => m with { TraceParent = traceParent })];
        var result = await store.AppendAsync(key, messages, cancellationToken).ConfigureAwait(false);
        if (result.Appended > 0) Wake(key, result.LastSequence);
        return result;
    }

    private void Wake(ConversationKey key, long upToSequence)
    {
        if (grains.Current is not { } factory)
        {
            log.WakeSkipped(key, "no silo reached yet");
            return;
        }
        try
        {
            var sent = factory.GetConversation(key).WakeAsync(upToSequence);
            if (!sent.IsCompleted) _ = sent.ContinueWith(static (t, state) => ((GatewayLog)state!).WakeFailed(t.Exception!.GetBaseException().GetType().Name),
                log, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            else if (sent.IsFaulted) log.WakeFailed(sent.Exception!.GetBaseException().GetType().Name);
        }
        catch (Exception ex)
        {
            log.WakeFailed(ex.GetType().Name);
        }
    }
}
