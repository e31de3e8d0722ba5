using Conversations.Storage;
using Conversations.Storage;

namespace Conversations.Gateway.Tests.Support;

/// <summary>
/// Appends straight to the store, recording each call; optionally holds every call after its append
/// until <see cref="Release"/>, so a test can see whether the gateway answered before the append returned.
/// </summary>
public sealed class GatedClusterClient(IConversationStore store) : IClusterClient
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Hold { get; set; }
    public TaskCompletionSource FirstCallAppended { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public List<(ConversationKey Key, string[] DedupeKeys)> Calls { get; } = [];

    public void Release() => _release.TrySetResult();

    public async ValueTask<AppendResult> DeliverAsync(ConversationKey key, IReadOnlyList<NewInboxMessage> messages, CancellationToken cancellationToken)
    {
        lock (Calls) Calls.Add((key, [.. messages.Select(m => m.DedupeKey)]));
        var result = await store.AppendAsync(key, messages, cancellationToken);
        FirstCallAppended.TrySetResult();
        if (Hold) await _release.Task.WaitAsync(cancellationToken);
        return result;
    }
}
