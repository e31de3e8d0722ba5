using Conversations.Storage;

namespace Conversations.Gateway.Tests.Support;

/// <summary>
/// A store double for the parts of the contract the gateway uses: appends (deduplicated and numbered
/// per conversation, recorded call by call), ping, and the admin reads. Failures are switched on per
/// test; <see cref="Hold"/> keeps every append waiting after it committed until <see cref="Release"/>,
/// so a test can see whether the gateway answered before the append returned. The grains' side of the
/// contract is not the gateway's business and answers NotSupported.
/// </summary>
public sealed class ScriptedStore : IConversationStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ConversationKey, List<InboxMessage>> _inbox = [];
    private readonly List<(ConversationKey Key, string[] DedupeKeys)> _appends = [];
    private readonly List<(ConversationKey Key, long AfterSequence)> _counts = [];
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Exception? PingFailure { get; set; }
    /// <summary>What <see cref="OldestUnconsumedAgeAsync"/> answers (the console's inbox lag chart); a failure when <see cref="InboxLagFailure"/> is set.</summary>
    public TimeSpan? InboxLag { get; set; }
    public Exception? InboxLagFailure { get; set; }
    public Exception? AppendFailure { get; set; }
    public bool Hold { get; set; }
    public TaskCompletionSource FirstAppendCommitted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public List<ParkedAction> Parked { get; } = [];
    public int? LastParkedMax { get; private set; }

    public void Release() => _release.TrySetResult();

    /// <summary>Every append call, in order, with the dedupe keys it carried (duplicates included).</summary>
    public IReadOnlyList<(ConversationKey Key, string[] DedupeKeys)> Appends { get { lock (_gate) return [.. _appends]; } }

    /// <summary>Every <see cref="CountAfterAsync"/> call (the admin's pending count), in order.</summary>
    public IReadOnlyList<(ConversationKey Key, long AfterSequence)> Counts { get { lock (_gate) return [.. _counts]; } }

    public IReadOnlyList<InboxMessage> Inbox(ConversationKey key)
    {
        lock (_gate) return _inbox.TryGetValue(key, out var list) ? [.. list] : [];
    }

    public int InboxCount()
    {
        lock (_gate) return _inbox.Values.Sum(list => list.Count);
    }

    public async ValueTask<AppendResult> AppendAsync(ConversationKey key, IReadOnlyList<NewInboxMessage> messages, CancellationToken cancellationToken)
    {
        AppendResult result;
        lock (_gate)
        {
            _appends.Add((key, [.. messages.Select(m => m.DedupeKey)]));
            if (AppendFailure is { } failure) throw failure;
            if (!_inbox.TryGetValue(key, out var list)) _inbox[key] = list = [];
            var (appended, last) = (0, 0L);
            foreach (var message in messages)
            {
                if (list.Any(m => m.DedupeKey == message.DedupeKey)) continue;
                last = list.Count + 1;
                list.Add(new InboxMessage(last, message.DedupeKey, message.Type, message.Body.ToArray(), DateTimeOffset.UtcNow));
                appended++;
            }
            result = new AppendResult(appended, messages.Count - appended, last);
        }
        FirstAppendCommitted.TrySetResult();
        if (Hold) await _release.Task.WaitAsync(cancellationToken);
        return result;
    }

    // The console's sampler reads the inbox lag.
    public ValueTask<TimeSpan?> OldestUnconsumedAgeAsync(CancellationToken cancellationToken) =>
        InboxLagFailure is { } failure ? ValueTask.FromException<TimeSpan?>(failure) : ValueTask.FromResult(InboxLag);

    public ValueTask<int> CountAfterAsync(ConversationKey key, long afterSequence, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _counts.Add((key, afterSequence));
            return ValueTask.FromResult(_inbox.TryGetValue(key, out var list) ? list.Count(m => m.Sequence > afterSequence) : 0);
        }
    }

    public ValueTask PingAsync(CancellationToken cancellationToken) =>
        PingFailure is { } failure ? ValueTask.FromException(failure) : ValueTask.CompletedTask;

    public ValueTask<IReadOnlyList<ParkedAction>> ReadParkedAsync(int max, CancellationToken cancellationToken)
    {
        LastParkedMax = max;
        return ValueTask.FromResult<IReadOnlyList<ParkedAction>>([.. Parked.Take(max)]);
    }

    public ValueTask<IReadOnlyList<OutboxMessage>> ReadParkedAsync(ConversationKey key, CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<OutboxMessage>>([.. Parked.Where(p => p.Key == key).Select(p => p.Message)]);

    /// <summary>Every <see cref="RemoveParkedAsync"/> call (the admin's discard), in order.</summary>
    public List<(ConversationKey Key, long ActionId)> Removals { get; } = [];

    public ValueTask<bool> RemoveParkedAsync(ConversationKey key, long actionId, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Removals.Add((key, actionId));
            return ValueTask.FromResult(Parked.RemoveAll(p => p.Key == key && p.Message.Id == actionId) > 0);
        }
    }

    /// <summary>The directory the admin list reads; tests fill it directly or through <see cref="UpsertDirectoryAsync"/>.</summary>
    public List<ConversationDirectoryEntry> Directory { get; } = [];

    /// <summary>Every filter the admin list asked for, in order.</summary>
    public List<ConversationDirectoryFilter> DirectoryQueries { get; } = [];

    public ValueTask UpsertDirectoryAsync(ConversationDirectoryEntry entry, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            Directory.RemoveAll(e => e.Key == entry.Key);
            Directory.Add(entry);
        }
        return ValueTask.CompletedTask;
    }

    public ValueTask<ConversationDirectoryPage> ListConversationsAsync(ConversationDirectoryFilter filter, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            DirectoryQueries.Add(filter);
            var matching = Directory
                .Where(e => (filter.Tenant is null || e.Tenant == filter.Tenant) && (filter.Mode is null || e.Mode == filter.Mode)
                    && (filter.HandoffReason is null || e.HandoffReason == filter.HandoffReason)
                    && (filter.ActiveSince is not { } since || e.LastActivityAt >= since))
                .OrderByDescending(e => e.LastActivityAt).ToList();
            return ValueTask.FromResult(new ConversationDirectoryPage([.. matching.Skip(filter.Offset).Take(filter.PageSize)], matching.Count));
        }
    }

    public ValueTask<IReadOnlyList<InboxMessage>> ReadAfterAsync(ConversationKey key, long afterSequence, int max, CancellationToken cancellationToken) => throw new NotSupportedException();
    public ValueTask MarkConsumedAsync(ConversationKey key, long upToSequence, CancellationToken cancellationToken) => throw new NotSupportedException();
    public ValueTask<IReadOnlyList<ConversationKey>> FindUnconsumedAsync(TimeSpan olderThan, int max, CancellationToken cancellationToken) => throw new NotSupportedException();
    public ValueTask ParkAsync(ConversationKey key, OutboxMessage action, CancellationToken cancellationToken) => throw new NotSupportedException();
    public ValueTask SetValueAsync(string tenant, string name, string value, CancellationToken cancellationToken) => throw new NotSupportedException();
    public ValueTask<string?> GetValueAsync(string tenant, string name, CancellationToken cancellationToken) => throw new NotSupportedException();
}
