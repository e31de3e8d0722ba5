using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Conversations.Runtime.Store.Memory;

/// <summary>
/// The store contract in one process: no durability, one silo. Every conversation is a small object
/// under its own lock, so turns of different conversations never contend.
/// </summary>
public sealed class MemoryConversationStore : IConversationStore
{
    private readonly ConcurrentDictionary<ConversationKey, MemoryConversation> _conversations = new();
    private readonly ConcurrentDictionary<ConversationKey, byte> _withPendingInbox = new();
    private readonly ConcurrentDictionary<ConversationKey, byte> _withPendingOutbox = new();
    private readonly ConcurrentDictionary<(ConversationKey Key, long Id), byte> _parked = new();
    private readonly ConcurrentDictionary<(string Tenant, string Name), string> _values = new();
    private readonly DedupeExpiry _dedupeExpiry;
    private readonly TimeProvider _time;
    private readonly int _sentKept;
    private long _nextOutboxId;

    public MemoryConversationStore(IOptions<StoreOptions> options, TimeProvider time)
    {
        _time = time;
        _sentKept = Math.Max(0, options.Value.SentActionsKept);
        _dedupeExpiry = new DedupeExpiry(options.Value.DedupeWindow, time);
    }

    public ValueTask<AppendResult> AppendAsync(ConversationKey key, IReadOnlyList<NewInboxMessage> messages, CancellationToken cancellationToken)
    {
        var conversation = Get(key);
        var now = _time.GetUtcNow();
        int appended = 0, duplicates = 0;
        lock (conversation)
        {
            foreach (var message in messages)
            {
                if (!conversation.DedupeKeys.Add(message.DedupeKey)) { duplicates++; continue; }
                conversation.Pending.Add(new InboxMessage(conversation.NextSequence++, message.DedupeKey, message.Type, message.Body.ToArray(), now));
                _dedupeExpiry.Track(conversation, message.DedupeKey, now);
                appended++;
            }
            if (appended > 0) _withPendingInbox.TryAdd(key, 0);
        }
        _dedupeExpiry.PruneIfDue(now);
        return ValueTask.FromResult(new AppendResult(appended, duplicates));
    }

    public ValueTask<ConversationSnapshot?> ActivateAsync(ConversationKey key, long fence, CancellationToken cancellationToken)
    {
        var conversation = Get(key);
        lock (conversation)
        {
            if (conversation.Fence > fence) return ValueTask.FromResult<ConversationSnapshot?>(null);
            conversation.Fence = fence;
            return ValueTask.FromResult<ConversationSnapshot?>(new ConversationSnapshot(conversation.Version, conversation.State));
        }
    }

    public ValueTask<IReadOnlyList<InboxMessage>> ReadPendingAsync(ConversationKey key, int max, CancellationToken cancellationToken)
    {
        if (!_conversations.TryGetValue(key, out var conversation)) return ValueTask.FromResult<IReadOnlyList<InboxMessage>>([]);
        lock (conversation)
        {
            var count = Math.Min(max, conversation.Pending.Count);
            return ValueTask.FromResult<IReadOnlyList<InboxMessage>>(count == 0 ? [] : conversation.Pending.GetRange(0, count));
        }
    }

    public ValueTask<CommitOutcome> CommitTurnAsync(TurnCommit commit, CancellationToken cancellationToken)
    {
        var conversation = Get(commit.Key);
        var now = _time.GetUtcNow();
        lock (conversation)
        {
            if (conversation.Fence != commit.Fence) return ValueTask.FromResult(CommitOutcome.FencedOut);
            if (conversation.Version != commit.ExpectedVersion) return ValueTask.FromResult(CommitOutcome.Conflict);

            if (commit.NewState is { } state) conversation.State = state.ToArray();
            conversation.Version++;
            RemoveConsumed(conversation, commit.Consumed);
            if (conversation.Pending.Count == 0) _withPendingInbox.TryRemove(commit.Key, out _);

            var ids = commit.Actions.Count == 0 ? [] : new long[commit.Actions.Count];
            for (var i = 0; i < commit.Actions.Count; i++)
            {
                ids[i] = Interlocked.Increment(ref _nextOutboxId);
                conversation.Outbox.Add(new MemoryOutboxRow(ids[i], commit.Actions[i], now));
                conversation.PendingOutboxCount++;
            }
            if (ids.Length > 0) _withPendingOutbox.TryAdd(commit.Key, 0);
            return ValueTask.FromResult(new CommitOutcome(CommitStatus.Committed, conversation.Version, ids));
        }
    }

    private static void RemoveConsumed(MemoryConversation conversation, IReadOnlyList<long> consumed)
    {
        if (consumed.Count == 0) return;
        // Turns consume a prefix of the pending list in the usual case; fall back to a set otherwise.
        var prefix = 0;
        while (prefix < consumed.Count && prefix < conversation.Pending.Count && conversation.Pending[prefix].Sequence == consumed[prefix]) prefix++;
        if (prefix == consumed.Count) { conversation.Pending.RemoveRange(0, prefix); return; }
        var set = consumed.ToHashSet();
        conversation.Pending.RemoveAll(m => set.Contains(m.Sequence));
    }

    public ValueTask<IReadOnlyList<OutboxMessage>> ReadOutboxAsync(ConversationKey key, CancellationToken cancellationToken)
    {
        if (!_conversations.TryGetValue(key, out var conversation)) return ValueTask.FromResult<IReadOnlyList<OutboxMessage>>([]);
        lock (conversation)
        {
            var pending = new List<OutboxMessage>(conversation.PendingOutboxCount);
            foreach (var row in conversation.Outbox)
                if (row.Status == OutboxStatus.Pending) pending.Add(row.Snapshot());
            return ValueTask.FromResult<IReadOnlyList<OutboxMessage>>(pending);
        }
    }

    public ValueTask MarkOutboxAsync(ConversationKey key, long outboxId, OutboxMark mark, CancellationToken cancellationToken)
    {
        if (!_conversations.TryGetValue(key, out var conversation)) return ValueTask.CompletedTask;
        lock (conversation)
        {
            var row = conversation.FindOutbox(outboxId);
            if (row is null || row.Status != OutboxStatus.Pending) return ValueTask.CompletedTask;
            row.Attempts++;
            switch (mark.Kind)
            {
                case OutboxMarkKind.Sent:
                    row.Status = OutboxStatus.Sent;
                    row.LastError = null;
                    conversation.PendingOutboxCount--;
                    TrimSent(conversation);
                    break;
                case OutboxMarkKind.Retry:
                    row.NextAttemptAt = mark.NextAttemptAt;
                    row.LastError = mark.Error;
                    break;
                case OutboxMarkKind.Parked:
                    row.Status = OutboxStatus.Parked;
                    row.LastError = mark.Error;
                    conversation.PendingOutboxCount--;
                    _parked.TryAdd((key, outboxId), 0);
                    break;
            }
            if (conversation.PendingOutboxCount == 0) _withPendingOutbox.TryRemove(key, out _);
        }
        return ValueTask.CompletedTask;
    }

    private void TrimSent(MemoryConversation conversation)
    {
        var sent = 0;
        for (var i = conversation.Outbox.Count - 1; i >= 0; i--)
        {
            if (conversation.Outbox[i].Status != OutboxStatus.Sent) continue;
            if (++sent > _sentKept) conversation.Outbox.RemoveAt(i);
        }
    }

    public ValueTask<IReadOnlyList<ConversationKey>> FindDueOutboxAsync(DateTimeOffset now, ShardSet? shards, int max, CancellationToken cancellationToken)
    {
        var due = new List<ConversationKey>();
        foreach (var key in _withPendingOutbox.Keys)
        {
            if (due.Count >= max) break;
            if (shards is not null && !shards.Contains(key)) continue;
            if (!_conversations.TryGetValue(key, out var conversation)) continue;
            lock (conversation)
            {
                foreach (var row in conversation.Outbox)
                {
                    if (row.Status != OutboxStatus.Pending) continue;
                    if (row.NextAttemptAt <= now) due.Add(key);
                    break; // only the oldest pending action decides: actions go out in order
                }
            }
        }
        return ValueTask.FromResult<IReadOnlyList<ConversationKey>>(due);
    }

    public ValueTask<IReadOnlyList<ConversationKey>> FindPendingInboxAsync(ShardSet? shards, int max, CancellationToken cancellationToken)
    {
        var keys = new List<ConversationKey>();
        foreach (var key in _withPendingInbox.Keys)
        {
            if (keys.Count >= max) break;
            if (shards is null || shards.Contains(key)) keys.Add(key);
        }
        return ValueTask.FromResult<IReadOnlyList<ConversationKey>>(keys);
    }

    public ValueTask<IReadOnlyList<ParkedAction>> ReadParkedAsync(int max, CancellationToken cancellationToken)
    {
        var parked = new List<ParkedAction>();
        foreach (var (key, id) in _parked.Keys)
        {
            if (!_conversations.TryGetValue(key, out var conversation)) continue;
            lock (conversation)
            {
                if (conversation.FindOutbox(id) is { } row) parked.Add(new ParkedAction(key, row.Snapshot()));
            }
        }
        return ValueTask.FromResult<IReadOnlyList<ParkedAction>>(parked.OrderByDescending(p => p.Message.Id).Take(max).ToList());
    }

    public ValueTask<ConversationRecord?> ReadAsync(ConversationKey key, CancellationToken cancellationToken)
    {
        if (!_conversations.TryGetValue(key, out var conversation)) return ValueTask.FromResult<ConversationRecord?>(null);
        lock (conversation)
        {
            return ValueTask.FromResult<ConversationRecord?>(new ConversationRecord(
                key, conversation.Version, conversation.Fence, conversation.State, conversation.Pending.Count,
                conversation.Outbox.Select(r => r.Snapshot()).ToList()));
        }
    }

    public ValueTask SetValueAsync(string tenant, string name, string value, CancellationToken cancellationToken)
    {
        _values[(tenant, name)] = value;
        return ValueTask.CompletedTask;
    }

    public ValueTask<string?> GetValueAsync(string tenant, string name, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_values.TryGetValue((tenant, name), out var value) ? value : null);

    public ValueTask PingAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    private MemoryConversation Get(ConversationKey key) =>
        _conversations.TryGetValue(key, out var conversation) ? conversation : _conversations.GetOrAdd(key, static k => new MemoryConversation(k));
}
