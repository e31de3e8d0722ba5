using Conversations.Storage;

namespace Conversations.Grains.Tests.Cluster;

/// <summary>A store that forwards everything, except that directory writes throw while <see cref="FailDirectory"/> is set.</summary>
public sealed class DirectoryFaultStore(IConversationStore inner) : IConversationStore
{
    public volatile bool FailDirectory;

    public ValueTask UpsertDirectoryAsync(ConversationDirectoryEntry entry, CancellationToken cancellationToken) =>
        FailDirectory ? ValueTask.FromException(new InvalidOperationException("directory down")) : inner.UpsertDirectoryAsync(entry, cancellationToken);

    public ValueTask<ConversationDirectoryPage> ListConversationsAsync(ConversationDirectoryFilter filter, CancellationToken cancellationToken) => inner.ListConversationsAsync(filter, cancellationToken);
    public ValueTask<AppendResult> AppendAsync(ConversationKey key, IReadOnlyList<NewInboxMessage> messages, CancellationToken cancellationToken) => inner.AppendAsync(key, messages, cancellationToken);
    public ValueTask<IReadOnlyList<InboxMessage>> ReadAfterAsync(ConversationKey key, long afterSequence, int max, CancellationToken cancellationToken) => inner.ReadAfterAsync(key, afterSequence, max, cancellationToken);
    public ValueTask MarkConsumedAsync(ConversationKey key, long upToSequence, CancellationToken cancellationToken) => inner.MarkConsumedAsync(key, upToSequence, cancellationToken);
    public ValueTask<IReadOnlyList<ConversationKey>> FindUnconsumedAsync(TimeSpan olderThan, int max, CancellationToken cancellationToken) => inner.FindUnconsumedAsync(olderThan, max, cancellationToken);
    public ValueTask<TimeSpan?> OldestUnconsumedAgeAsync(CancellationToken cancellationToken) => inner.OldestUnconsumedAgeAsync(cancellationToken);
    public ValueTask<int> CountAfterAsync(ConversationKey key, long afterSequence, CancellationToken cancellationToken) => inner.CountAfterAsync(key, afterSequence, cancellationToken);
    public ValueTask ParkAsync(ConversationKey key, OutboxMessage action, CancellationToken cancellationToken) => inner.ParkAsync(key, action, cancellationToken);
    public ValueTask<IReadOnlyList<ParkedAction>> ReadParkedAsync(int max, CancellationToken cancellationToken) => inner.ReadParkedAsync(max, cancellationToken);
    public ValueTask<IReadOnlyList<OutboxMessage>> ReadParkedAsync(ConversationKey key, CancellationToken cancellationToken) => inner.ReadParkedAsync(key, cancellationToken);
    public ValueTask<bool> RemoveParkedAsync(ConversationKey key, long actionId, CancellationToken cancellationToken) => inner.RemoveParkedAsync(key, actionId, cancellationToken);
    public ValueTask SetValueAsync(string tenant, string name, string value, CancellationToken cancellationToken) => inner.SetValueAsync(tenant, name, value, cancellationToken);
    public ValueTask<string?> GetValueAsync(string tenant, string name, CancellationToken cancellationToken) => inner.GetValueAsync(tenant, name, cancellationToken);
    public ValueTask PingAsync(CancellationToken cancellationToken) => inner.PingAsync(cancellationToken);
}
