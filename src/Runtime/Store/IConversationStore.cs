namespace Conversations.Runtime.Store;

/// <summary>
/// Everything the runtime keeps durable, per conversation: the inbox (events in, deduplicated), the
/// committed state (versioned and fenced), and the outbox (actions out). Implemented by the Memory
/// store (one process) and the Postgres store (cluster); <c>ConversationStoreContract</c> in the
/// tests holds both to the same behaviour.
/// </summary>
public interface IConversationStore
{
    /// <summary>
    /// Appends events to the conversation's inbox in the given order. A dedupe key already seen for
    /// this conversation (within the dedupe window) is accepted and dropped, also when the same key
    /// is appended concurrently.
    /// </summary>
    ValueTask<AppendResult> AppendAsync(ConversationKey key, IReadOnlyList<NewInboxMessage> messages, CancellationToken cancellationToken);

    /// <summary>
    /// Claim before load: stamps <paramref name="fence"/> on the conversation (creating it when new)
    /// and returns its committed state. Null when a newer fence already holds it.
    /// </summary>
    ValueTask<ConversationSnapshot?> ActivateAsync(ConversationKey key, long fence, CancellationToken cancellationToken);

    /// <summary>The conversation's unprocessed inbox events, oldest first, at most <paramref name="max"/>.</summary>
    ValueTask<IReadOnlyList<InboxMessage>> ReadPendingAsync(ConversationKey key, int max, CancellationToken cancellationToken);

    /// <summary>
    /// Commits a turn atomically: new state, the consumed inbox events marked processed, the actions
    /// appended to the outbox. Only when the stored version and fence match the commit's.
    /// </summary>
    ValueTask<CommitOutcome> CommitTurnAsync(TurnCommit commit, CancellationToken cancellationToken);

    /// <summary>The conversation's pending (unsent, unparked) outbox actions, oldest first.</summary>
    ValueTask<IReadOnlyList<OutboxMessage>> ReadOutboxAsync(ConversationKey key, CancellationToken cancellationToken);

    /// <summary>Records the result of a send attempt (sent, retry later, or parked).</summary>
    ValueTask MarkOutboxAsync(ConversationKey key, long outboxId, OutboxMark mark, CancellationToken cancellationToken);

    /// <summary>Conversations with pending outbox actions due at <paramref name="now"/>, within the given shards (null = all).</summary>
    ValueTask<IReadOnlyList<ConversationKey>> FindDueOutboxAsync(DateTimeOffset now, ShardSet? shards, int max, CancellationToken cancellationToken);

    /// <summary>Conversations with unprocessed inbox events, within the given shards (null = all).</summary>
    ValueTask<IReadOnlyList<ConversationKey>> FindPendingInboxAsync(ShardSet? shards, int max, CancellationToken cancellationToken);

    /// <summary>Parked actions across all conversations, newest first (admin).</summary>
    ValueTask<IReadOnlyList<ParkedAction>> ReadParkedAsync(int max, CancellationToken cancellationToken);

    /// <summary>Everything known about one conversation, for the admin API. Null when unknown.</summary>
    ValueTask<ConversationRecord?> ReadAsync(ConversationKey key, CancellationToken cancellationToken);

    /// <summary>A small durable key/value map per tenant (Chatwoot inbox → account, cached identities...).</summary>
    ValueTask SetValueAsync(string tenant, string name, string value, CancellationToken cancellationToken);
    ValueTask<string?> GetValueAsync(string tenant, string name, CancellationToken cancellationToken);

    /// <summary>Throws when the store cannot be reached (readiness).</summary>
    ValueTask PingAsync(CancellationToken cancellationToken);
}

/// <summary>How many of the appended events were new and how many were duplicates dropped.</summary>
public readonly record struct AppendResult(int Appended, int Duplicates);

/// <summary>The committed state of a conversation; version 0 with an empty state when it is new.</summary>
public sealed record ConversationSnapshot(long Version, ReadOnlyMemory<byte> State);

/// <param name="NewState">Null keeps the stored state (the version still advances).</param>
/// <param name="Consumed">Sequences of the inbox events this turn processed.</param>
public sealed record TurnCommit(
    ConversationKey Key,
    long Fence,
    long ExpectedVersion,
    ReadOnlyMemory<byte>? NewState,
    IReadOnlyList<long> Consumed,
    IReadOnlyList<NewOutboxMessage> Actions);

public enum CommitStatus { Committed, VersionConflict, Fenced }

/// <summary>The result of a commit: the new version and the ids given to the actions when committed.</summary>
public readonly record struct CommitOutcome(CommitStatus Status, long Version, IReadOnlyList<long> OutboxIds)
{
    public static CommitOutcome Conflict => new(CommitStatus.VersionConflict, 0, []);
    public static CommitOutcome FencedOut => new(CommitStatus.Fenced, 0, []);
}

public enum OutboxMarkKind { Sent, Retry, Parked }

/// <summary>The result of one send attempt: <see cref="NextAttemptAt"/> for retries, <see cref="Error"/> for retries and parking.</summary>
public readonly record struct OutboxMark(OutboxMarkKind Kind, DateTimeOffset NextAttemptAt = default, string? Error = null)
{
    public static OutboxMark Sent => new(OutboxMarkKind.Sent);
    public static OutboxMark Retry(DateTimeOffset nextAttemptAt, string error) => new(OutboxMarkKind.Retry, nextAttemptAt, error);
    public static OutboxMark Parked(string error) => new(OutboxMarkKind.Parked, default, error);
}

public sealed record ParkedAction(ConversationKey Key, OutboxMessage Message);

/// <summary>The admin view of a conversation: committed state and the outbox (pending, parked and recently sent).</summary>
public sealed record ConversationRecord(
    ConversationKey Key,
    long Version,
    long Fence,
    ReadOnlyMemory<byte> State,
    int PendingEvents,
    IReadOnlyList<OutboxMessage> Outbox);

/// <summary>A set of shard numbers out of <see cref="ShardCount"/>; a conversation is in it when its shard is.</summary>
public sealed class ShardSet(int shardCount, IEnumerable<int> shards)
{
    private readonly HashSet<int> _shards = [.. shards];
    public int ShardCount { get; } = shardCount;
    public IReadOnlyCollection<int> Shards => _shards;
    public bool Contains(ConversationKey key) => _shards.Contains(key.Shard(ShardCount));
}
