using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace Conversations.Storage.Memory;

/// <summary>
/// The store contract in one process: no durability, one silo. Every conversation is a small object
/// under its own lock, so appends and reads of different conversations never contend. Consumed
/// events are dropped at once (their dedupe keys stay for the dedupe window).
/// </summary>
public sealed class MemoryConversationStore : IConversationStore
{
    private readonly ConcurrentDictionary<ConversationKey, MemoryConversation> _conversations = new();
    private readonly ConcurrentDictionary<ConversationKey, byte> _withUnconsumed = new();
    private readonly Lock _parkedGate = new();
    private readonly List<ParkedAction> _parked = []; // oldest first
    private readonly ConcurrentDictionary<(string Tenant, string Name), string> _values = new();
    private readonly ConcurrentDictionary<ConversationKey, ConversationDirectoryEntry> _directory = new();
    private readonly DedupeExpiry _dedupeExpiry;
    private readonly TimeProvider _time;

    public MemoryConversationStore(IOptions<StoreOptions> options, TimeProvider time)
    {
        _time = time;
        _dedupeExpiry = new DedupeExpiry(options.Value.DedupeWindow, time);
    }

    public ValueTask<AppendResult> AppendAsync(ConversationKey key, IReadOnlyList<NewInboxMessage> messages, CancellationToken cancellationToken)
    {
        var conversation = Get(key);
        var now = _time.GetUtcNow();
        int appended = 0, duplicates = 0;
        long last = 0;
        lock (conversation)
        {
            foreach (var message in messages)
            {
                if (!conversation.DedupeKeys.Add(message.DedupeKey)) { duplicates++; continue; }
                last = conversation.NextSequence++;
                conversation.Unconsumed.Add(new InboxMessage(last, message.DedupeKey, message.Type, message.Body.ToArray(), now, message.TraceParent));
                _dedupeExpiry.Track(conversation, message.DedupeKey, now);
                appended++;
            }
            if (appended > 0) _withUnconsumed.TryAdd(key, 0);
        }
        _dedupeExpiry.PruneIfDue(now);
        return ValueTask.FromResult(new AppendResult(appended, duplicates, last));
    }

    public ValueTask<IReadOnlyList<InboxMessage>> ReadAfterAsync(ConversationKey key, long afterSequence, int max, CancellationToken cancellationToken)
    {
        if (!_conversations.TryGetValue(key, out var conversation)) return ValueTask.FromResult<IReadOnlyList<InboxMessage>>([]);
        lock (conversation)
        {
            var start = FirstAbove(conversation.Unconsumed, afterSequence);
            var count = Math.Min(max, conversation.Unconsumed.Count - start);
            return ValueTask.FromResult<IReadOnlyList<InboxMessage>>(count <= 0 ? [] : conversation.Unconsumed.GetRange(start, count));
        }
    }

    public ValueTask MarkConsumedAsync(ConversationKey key, long upToSequence, CancellationToken cancellationToken)
    {
        if (!_conversations.TryGetValue(key, out var conversation)) return ValueTask.CompletedTask;
        lock (conversation)
        {
            conversation.Unconsumed.RemoveRange(0, FirstAbove(conversation.Unconsumed, upToSequence));
            if (conversation.Unconsumed.Count == 0) _withUnconsumed.TryRemove(key, out _);
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<ConversationKey>> FindUnconsumedAsync(TimeSpan olderThan, int max, CancellationToken cancellationToken)
    {
        var cutoff = _time.GetUtcNow() - olderThan;
        var found = new List<(DateTimeOffset Since, ConversationKey Key)>();
        foreach (var key in _withUnconsumed.Keys)
        {
            if (!_conversations.TryGetValue(key, out var conversation)) continue;
            lock (conversation)
            {
                if (conversation.Unconsumed.Count > 0 && conversation.Unconsumed[0].ReceivedAt <= cutoff)
                    found.Add((conversation.Unconsumed[0].ReceivedAt, key));
            }
        }
        IReadOnlyList<ConversationKey> keys = [.. found.OrderBy(f => f.Since).Take(max).Select(f => f.Key)];
        return ValueTask.FromResult(keys);
    }

    public ValueTask<TimeSpan?> OldestUnconsumedAgeAsync(CancellationToken cancellationToken)
    {
        DateTimeOffset? oldest = null;
        foreach (var key in _withUnconsumed.Keys)
        {
            if (!_conversations.TryGetValue(key, out var conversation)) continue;
            lock (conversation)
                if (conversation.Unconsumed.Count > 0 && (oldest is null || conversation.Unconsumed[0].ReceivedAt < oldest)) oldest = conversation.Unconsumed[0].ReceivedAt;
        }
        return ValueTask.FromResult(oldest is { } at ? _time.GetUtcNow() - at : (TimeSpan?)null);
    }

    public ValueTask<int> CountAfterAsync(ConversationKey key, long afterSequence, CancellationToken cancellationToken)
    {
        if (!_conversations.TryGetValue(key, out var conversation)) return ValueTask.FromResult(0);
        lock (conversation) return ValueTask.FromResult(conversation.Unconsumed.Count - FirstAbove(conversation.Unconsumed, afterSequence));
    }

    public ValueTask ParkAsync(ConversationKey key, OutboxMessage action, CancellationToken cancellationToken)
    {
        var conversation = Get(key);
        var parked = action with { Status = OutboxStatus.Parked };
        lock (conversation)
        {
            if (conversation.Parked.Any(p => p.Id == action.Id)) return ValueTask.CompletedTask;
            conversation.Parked.Add(parked);
        }
        lock (_parkedGate) _parked.Add(new ParkedAction(key, parked));
        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<ParkedAction>> ReadParkedAsync(int max, CancellationToken cancellationToken)
    {
        IReadOnlyList<ParkedAction> parked;
        lock (_parkedGate) parked = [.. Enumerable.Reverse(_parked).Take(max)];
        return ValueTask.FromResult(parked);
    }

    public ValueTask<IReadOnlyList<OutboxMessage>> ReadParkedAsync(ConversationKey key, CancellationToken cancellationToken)
    {
        if (!_conversations.TryGetValue(key, out var conversation)) return ValueTask.FromResult<IReadOnlyList<OutboxMessage>>([]);
        lock (conversation) return ValueTask.FromResult<IReadOnlyList<OutboxMessage>>([.. conversation.Parked]);
    }

    public ValueTask UpsertDirectoryAsync(ConversationDirectoryEntry entry, CancellationToken cancellationToken)
    {
        _directory[entry.Key] = entry;
        return ValueTask.CompletedTask;
    }

    public ValueTask<ConversationDirectoryPage> ListConversationsAsync(ConversationDirectoryFilter filter, CancellationToken cancellationToken)
    {
        var matching = _directory.Values
            .Where(e => (filter.Tenant is null || e.Tenant == filter.Tenant)
                && (filter.Mode is null || e.Mode == filter.Mode)
                && (filter.HandoffReason is null || e.HandoffReason == filter.HandoffReason)
                && (filter.ActiveSince is not { } since || e.LastActivityAt >= since))
            .OrderByDescending(e => e.LastActivityAt)
            .ThenBy(e => e.Tenant, StringComparer.Ordinal)
            .ThenBy(e => e.ConversationId, StringComparer.Ordinal)
            .ToList();
        IReadOnlyList<ConversationDirectoryEntry> page = [.. matching.Skip(filter.Offset).Take(Math.Max(filter.PageSize, 1))];
        return ValueTask.FromResult(new ConversationDirectoryPage(page, matching.Count));
    }

    public ValueTask<bool> RemoveParkedAsync(ConversationKey key, long actionId, CancellationToken cancellationToken)
    {
        if (!_conversations.TryGetValue(key, out var conversation)) return ValueTask.FromResult(false);
        bool removed;
        lock (conversation) removed = conversation.Parked.RemoveAll(p => p.Id == actionId) > 0;
        if (removed) lock (_parkedGate) _parked.RemoveAll(p => p.Key == key && p.Message.Id == actionId);
        return ValueTask.FromResult(removed);
    }

    public ValueTask SetValueAsync(string tenant, string name, string value, CancellationToken cancellationToken)
    {
        _values[(tenant, name)] = value;
        return ValueTask.CompletedTask;
    }

    public ValueTask<string?> GetValueAsync(string tenant, string name, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_values.TryGetValue((tenant, name), out var value) ? value : null);

    public ValueTask PingAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Index of the first event above <paramref name="sequence"/> (events are in sequence order).</summary>
    private static int FirstAbove(List<InboxMessage> events, long sequence)
    {
        int low = 0, high = events.Count;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (events[mid].Sequence <= sequence) low = mid + 1; else high = mid;
        }
        return low;
    }

    private MemoryConversation Get(ConversationKey key) =>
        _conversations.TryGetValue(key, out var conversation) ? conversation : _conversations.GetOrAdd(key, static k => new MemoryConversation(k));
}
