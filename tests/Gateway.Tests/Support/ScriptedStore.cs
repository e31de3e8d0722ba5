using Conversations.Storage;

namespace Conversations.Gateway.Tests.Support;

/// <summary>
/// A store double for the parts of the contract the gateway uses: appends (deduplicated per
/// conversation), ping, admin reads. Failures are switched on per test. The runtime's side of the
/// contract is not the gateway's business and answers NotSupported.
/// </summary>
public sealed class ScriptedStore : IConversationStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ConversationKey, List<NewInboxMessage>> _inbox = [];

    public Exception? PingFailure { get; set; }
    public Exception? AppendFailure { get; set; }
    public Dictionary<ConversationKey, ConversationRecord> Records { get; } = [];
    public List<ParkedAction> Parked { get; } = [];
    public int? LastParkedMax { get; private set; }

    public IReadOnlyList<NewInboxMessage> Inbox(ConversationKey key)
    {
        lock (_gate) return _inbox.TryGetValue(key, out var list) ? [.. list] : [];
    }

    public int InboxCount()
    {
        lock (_gate) return _inbox.Values.Sum(list => list.Count);
    }

    public ValueTask<AppendResult> AppendAsync(ConversationKey key, IReadOnlyList<NewInboxMessage> messages, CancellationToken cancellationToken)
    {
        if (AppendFailure is { } failure) throw failure;
        lock (_gate)
        {
            if (!_inbox.TryGetValue(key, out var list)) _inbox[key] = list = [];
            var appended = 0;
            foreach (var message in messages)
            {
                if (list.Any(m => m.DedupeKey == message.DedupeKey)) continue;
                list.Add(message);
                appended++;
            }
            return ValueTask.FromResult(new AppendResult(appended, messages.Count - appended));
        }
    }

    public ValueTask PingAsync(CancellationToken cancellationToken) =>
        PingFailure is { } failure ? ValueTask.FromException(failure) : ValueTask.CompletedTask;

    public ValueTask<ConversationRecord?> ReadAsync(ConversationKey key, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Records.GetValueOrDefault(key));

    public ValueTask<IReadOnlyList<ParkedAction>> ReadParkedAsync(int max, CancellationToken cancellationToken)
    {
        LastParkedMax = max;
        return ValueTask.FromResult<IReadOnlyList<ParkedAction>>([.. Parked.Take(max)]);
    }

    public ValueTask<ConversationSnapshot?> ActivateAsync(ConversationKey key, long fence, CancellationToken cancellationToken) => throw new NotSupportedException();
    public ValueTask<IReadOnlyList<InboxMessage>> ReadPendingAsync(ConversationKey key, int max, CancellationToken cancellationToken) => throw new NotSupportedException();
    public ValueTask<CommitOutcome> CommitTurnAsync(TurnCommit commit, CancellationToken cancellationToken) => throw new NotSupportedException();
    public ValueTask<IReadOnlyList<OutboxMessage>> ReadOutboxAsync(ConversationKey key, CancellationToken cancellationToken) => throw new NotSupportedException();
    public ValueTask MarkOutboxAsync(ConversationKey key, long outboxId, OutboxMark mark, CancellationToken cancellationToken) => throw new NotSupportedException();
    public ValueTask<IReadOnlyList<ConversationKey>> FindDueOutboxAsync(DateTimeOffset now, ShardSet? shards, int max, CancellationToken cancellationToken) => throw new NotSupportedException();
    public ValueTask<IReadOnlyList<ConversationKey>> FindPendingInboxAsync(ShardSet? shards, int max, CancellationToken cancellationToken) => throw new NotSupportedException();
    public ValueTask SetValueAsync(string tenant, string name, string value, CancellationToken cancellationToken) => throw new NotSupportedException();
    public ValueTask<string?> GetValueAsync(string tenant, string name, CancellationToken cancellationToken) => throw new NotSupportedException();
}
