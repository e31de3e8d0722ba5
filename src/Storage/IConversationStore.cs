namespace Conversations.Storage;

/// <summary>
/// What the project keeps durable beside Orleans' grain state: each conversation's inbox (events in,
/// deduplicated, numbered), the parked actions operators look at, and a small per-tenant value map.
/// Implemented by the Memory store (one process) and the Postgres store (cluster);
/// <c>ConversationStoreContract</c> in the tests holds both to the same behaviour.
/// </summary>
public interface IConversationStore
{
    /// <summary>
    /// Appends events to the conversation's inbox in the given order and numbers them: sequences grow
    /// per conversation in commit order, so a reader that has seen sequence N never misses a later
    /// commit below it. A dedupe key already seen for this conversation (within the dedupe window) is
    /// accepted and dropped, also when the same key is appended concurrently.
    /// </summary>
    ValueTask<AppendResult> AppendAsync(ConversationKey key, IReadOnlyList<NewInboxMessage> messages, CancellationToken cancellationToken);

    /// <summary>The conversation's inbox events above <paramref name="afterSequence"/>, oldest first, at most <paramref name="max"/>.</summary>
    ValueTask<IReadOnlyList<InboxMessage>> ReadAfterAsync(ConversationKey key, long afterSequence, int max, CancellationToken cancellationToken);

    /// <summary>
    /// Marks the events up to <paramref name="upToSequence"/> consumed: the grain's cursor passed them
    /// and their actions are sent or parked. The re-drive stops looking at them; retention may delete them.
    /// </summary>
    ValueTask MarkConsumedAsync(ConversationKey key, long upToSequence, CancellationToken cancellationToken);

    /// <summary>
    /// The re-drive query: conversations with events unconsumed for longer than <paramref name="olderThan"/>
    /// (oldest first, at most <paramref name="max"/>). One indexed query, whatever the number of conversations.
    /// </summary>
    ValueTask<IReadOnlyList<ConversationKey>> FindUnconsumedAsync(TimeSpan olderThan, int max, CancellationToken cancellationToken);

    /// <summary>How long the oldest unconsumed event has waited (null when none): the inbox lag operators watch.</summary>
    ValueTask<TimeSpan?> OldestUnconsumedAgeAsync(CancellationToken cancellationToken);

    /// <summary>How many events of the conversation are above <paramref name="afterSequence"/> (admin).</summary>
    ValueTask<int> CountAfterAsync(ConversationKey key, long afterSequence, CancellationToken cancellationToken);

    /// <summary>Keeps an action the grain gave up on, for operators (<c>GET /admin/outbox/parked</c>).</summary>
    ValueTask ParkAsync(ConversationKey key, OutboxMessage action, CancellationToken cancellationToken);

    /// <summary>Parked actions across all conversations, newest first (admin).</summary>
    ValueTask<IReadOnlyList<ParkedAction>> ReadParkedAsync(int max, CancellationToken cancellationToken);

    /// <summary>The parked actions of one conversation, oldest first (admin).</summary>
    ValueTask<IReadOnlyList<OutboxMessage>> ReadParkedAsync(ConversationKey key, CancellationToken cancellationToken);

    /// <summary>Removes one parked action (retried or discarded by an operator); false when it was not parked.</summary>
    ValueTask<bool> RemoveParkedAsync(ConversationKey key, long actionId, CancellationToken cancellationToken);

    /// <summary>
    /// Records (or replaces) the conversation's directory entry: what the admin list shows and filters
    /// on without waking grains. Written best effort by the grain after each committed turn.
    /// </summary>
    ValueTask UpsertDirectoryAsync(ConversationDirectoryEntry entry, CancellationToken cancellationToken);

    /// <summary>
    /// Directory entries matching <paramref name="filter"/>, most recent activity first (ties by tenant,
    /// then conversation id), one page of them, with the number of entries that match in all.
    /// </summary>
    ValueTask<ConversationDirectoryPage> ListConversationsAsync(ConversationDirectoryFilter filter, CancellationToken cancellationToken);

    /// <summary>A small durable key/value map per tenant (Chatwoot inbox → account, cached identities...).</summary>
    ValueTask SetValueAsync(string tenant, string name, string value, CancellationToken cancellationToken);
    ValueTask<string?> GetValueAsync(string tenant, string name, CancellationToken cancellationToken);

    /// <summary>Throws when the store cannot be reached (readiness).</summary>
    ValueTask PingAsync(CancellationToken cancellationToken);
}

/// <summary>
/// How many of the appended events were new and how many were duplicates dropped;
/// <see cref="LastSequence"/> is the highest sequence given to a new event (0 when none was new).
/// </summary>
public readonly record struct AppendResult(int Appended, int Duplicates, long LastSequence = 0);

public sealed record ParkedAction(ConversationKey Key, OutboxMessage Message);

/// <summary>
/// One conversation as the admin list shows it: who answers it (<see cref="Mode"/>: bot, human,
/// resolved), why it was last handed off, its last activity (platform time) and when this entry was written.
/// </summary>
public sealed record ConversationDirectoryEntry(
    string Tenant,
    string ConversationId,
    string? Mode,
    string? HandoffReason,
    DateTimeOffset LastActivityAt,
    DateTimeOffset UpdatedAt)
{
    public ConversationKey Key => new(Tenant, ConversationId);
}

/// <summary>What to list: every given criterion must match (null: any). <see cref="Page"/> counts from 1.</summary>
public sealed record ConversationDirectoryFilter(
    string? Tenant = null,
    string? Mode = null,
    string? HandoffReason = null,
    DateTimeOffset? ActiveSince = null,
    int Page = 1,
    int PageSize = 50)
{
    public int Offset => (Math.Max(Page, 1) - 1) * Math.Max(PageSize, 1);
}

/// <summary>One page of the directory and the number of entries matching the filter in all.</summary>
public sealed record ConversationDirectoryPage(IReadOnlyList<ConversationDirectoryEntry> Entries, int Total);
