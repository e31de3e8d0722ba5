using System.Collections.Concurrent;
using Conversations.Runtime.Cluster;
using Conversations.Runtime.Diagnostics;
using Conversations.Runtime.Outbox;
using Conversations.Runtime.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conversations.Runtime.Activations;

/// <summary>
/// The silo's activations: created on the first wake of a conversation this silo owns, one turn at
/// a time each, collected when idle or when there are too many. Events are read from the store at
/// the start of each turn, so a burst of wakes becomes one turn with every pending event.
/// </summary>
public sealed partial class ConversationRuntime : IConversationRuntime, IDisposable
{
    private readonly ConcurrentDictionary<ConversationKey, Activation> _activations = new();
    private readonly IConversationStore _store;
    private readonly IShardOwnership _ownership;
    private readonly IConversationGrainFactory _grains;
    private readonly OutboxRelay _relay;
    private readonly RuntimeOptions _options;
    private readonly TimeProvider _time;
    private readonly RuntimeMetrics _metrics;
    private readonly ILogger<ConversationRuntime> _logger;
    private readonly CancellationTokenSource _abort = new();
    private readonly TimeSpan _maxTurnRetryDelay = TimeSpan.FromMinutes(1);
    private ITimer? _collector;
    private int _count;
    private int _trimming;
    private int _disposed;
    private volatile bool _running;

    public ConversationRuntime(
        IConversationStore store, IShardOwnership ownership, IConversationGrainFactory grains, OutboxRelay relay,
        IOptions<RuntimeOptions> options, TimeProvider time, RuntimeMetrics metrics, ILogger<ConversationRuntime> logger)
    {
        _store = store;
        _ownership = ownership;
        _grains = grains;
        _relay = relay;
        _options = options.Value;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    public bool IsRunning => _running;

    public int ActivationCount => Volatile.Read(ref _count);

    public void Start()
    {
        var interval = _options.EffectiveCollectionInterval;
        _collector = _time.CreateTimer(_ => CollectIdle(), null, interval, interval);
        _running = true;
    }

    public void Wake(ConversationKey key)
    {
        while (true)
        {
            if (!_activations.TryGetValue(key, out var activation)) activation = GetOrCreate(key);
            switch (activation.Wake())
            {
                case Activation.WakeResult.Scheduled:
                    ThreadPool.UnsafeQueueUserWorkItem(activation, preferLocal: false);
                    return;
                case Activation.WakeResult.AlreadyRunning:
                    return;
                case Activation.WakeResult.Deactivated:
                    _activations.TryRemove(KeyValuePair.Create(key, activation));
                    continue;
            }
        }
    }

    public void Sweep(ConversationKey key)
    {
        if (_activations.TryGetValue(key, out var activation) && activation.IsRunning) return;
        Wake(key);
    }

    private Activation GetOrCreate(ConversationKey key)
    {
        var created = new Activation(key, this) { LastUsed = _time.GetTimestamp() };
        var activation = _activations.GetOrAdd(key, created);
        if (ReferenceEquals(activation, created) && Interlocked.Increment(ref _count) > _options.MaxActivations) TrimSoon();
        return activation;
    }

    internal async Task RunAsync(Activation activation)
    {
        var retryDelay = _options.TurnRetryDelay;
        while (activation.TakeWake(_time.GetTimestamp()))
        {
            try
            {
                TurnStep step;
                do step = await RunTurnAsync(activation).ConfigureAwait(false);
                while (step == TurnStep.More);
                if (step == TurnStep.Stopped) return;
                retryDelay = _options.TurnRetryDelay;
            }
            catch (OperationCanceledException) when (_abort.IsCancellationRequested)
            {
                Deactivate(activation);
                return;
            }
            catch (Exception ex)
            {
                // The events stay pending; reload the grain from the store and try again after a pause.
                activation.Grain = null;
                _metrics.TurnFailures.Add(1);
                LogTurnFailed(activation.Key, retryDelay, ex);
                try { await Task.Delay(retryDelay, _time, _abort.Token).ConfigureAwait(false); }
                catch (OperationCanceledException) { Deactivate(activation); return; }
                retryDelay = TimeSpan.FromTicks(Math.Min(retryDelay.Ticks * 2, _maxTurnRetryDelay.Ticks));
                activation.Wake();
            }
        }
    }

    private enum TurnStep { More, Done, Stopped }

    private async ValueTask<TurnStep> RunTurnAsync(Activation activation)
    {
        var key = activation.Key;
        var cancellation = _abort.Token;
        if (_ownership.FenceFor(key) is not { } fence)
        {
            Deactivate(activation);
            return TurnStep.Stopped;
        }
        if (activation.Grain is null || activation.Fence != fence)
        {
            var snapshot = await _store.ActivateAsync(key, fence, cancellation).ConfigureAwait(false);
            if (snapshot is null)
            {
                LogFencedOut(key, fence);
                Deactivate(activation);
                return TurnStep.Stopped;
            }
            activation.Grain = _grains.Create(key, snapshot.State);
            activation.Version = snapshot.Version;
            activation.Fence = fence;
            _metrics.Activations.Add(1);
        }

        var events = await _store.ReadPendingAsync(key, _options.MaxEventsPerTurn, cancellation).ConfigureAwait(false);
        if (events.Count == 0) return TurnStep.Done;

        activation.LastReadSequence = events[^1].Sequence;
        var turn = new TurnContext(key, events, activation.ReadNewerEvents);
        var result = await activation.Grain.RunTurnAsync(turn, cancellation).ConfigureAwait(false);

        var consumed = new long[events.Count];
        for (var i = 0; i < consumed.Length; i++) consumed[i] = events[i].Sequence;
        var outcome = await _store.CommitTurnAsync(
            new TurnCommit(key, activation.Fence, activation.Version, result.NewState, consumed, result.Actions), cancellation).ConfigureAwait(false);

        switch (outcome.Status)
        {
            case CommitStatus.Committed:
                activation.Version = outcome.Version;
                _metrics.Turns.Add(1);
                _metrics.Events.Add(events.Count);
                if (result.Actions.Count > 0) _relay.Kick(key);
                return events.Count >= _options.MaxEventsPerTurn ? TurnStep.More : TurnStep.Done;
            case CommitStatus.VersionConflict:
                // Someone else wrote this conversation: drop what we hold and start again from the store.
                _metrics.CommitConflicts.Add(1);
                LogCommitConflict(key, activation.Version);
                activation.Grain = null;
                return TurnStep.More;
            default:
                LogFencedOut(key, activation.Fence);
                Deactivate(activation);
                return TurnStep.Stopped;
        }
    }

    /// <summary>
    /// Inbox events above the running turn's. A wake is only a hint (pumps, sweeps and drains wake
    /// too), so when one came the store says what is really there.
    /// </summary>
    internal async ValueTask<IReadOnlyList<InboxMessage>> ReadNewerEventsAsync(Activation activation, CancellationToken cancellationToken)
    {
        if (!activation.WakePending) return [];
        var pending = await _store.ReadPendingAsync(activation.Key, _options.MaxEventsPerTurn * 2, cancellationToken).ConfigureAwait(false);
        var newer = new List<InboxMessage>();
        foreach (var message in pending)
            if (message.Sequence > activation.LastReadSequence) newer.Add(message);
        return newer;
    }

    private void Deactivate(Activation activation)
    {
        activation.Grain = null;
        activation.DeactivateFromRunner();
        Remove(activation);
    }

    private void Remove(Activation activation)
    {
        if (_activations.TryRemove(KeyValuePair.Create(activation.Key, activation)))
        {
            Interlocked.Decrement(ref _count);
            _metrics.Deactivations.Add(1);
        }
    }

    /// <summary>Deactivates activations idle longer than the idle timeout; then enforces the activation cap.</summary>
    public void CollectIdle()
    {
        var now = _time.GetTimestamp();
        foreach (var activation in _activations.Values)
        {
            if (_time.GetElapsedTime(Volatile.Read(ref activation.LastUsed), now) < _options.IdleTimeout) continue;
            if (activation.TryDeactivate()) Remove(activation);
        }
        if (ActivationCount > _options.MaxActivations) TrimToCap();
    }

    private void TrimSoon()
    {
        if (Interlocked.CompareExchange(ref _trimming, 1, 0) != 0) return;
        ThreadPool.UnsafeQueueUserWorkItem(static runtime =>
        {
            try { runtime.TrimToCap(); }
            finally { Volatile.Write(ref runtime._trimming, 0); }
        }, this, preferLocal: false);
    }

    /// <summary>Deactivates the least recently used idle activations until 90% of the cap is left (hysteresis keeps trims rare).</summary>
    private void TrimToCap()
    {
        var target = _options.MaxActivations - _options.MaxActivations / 10;
        var excess = ActivationCount - target;
        if (excess <= 0) return;
        var idle = _activations.Values.Where(a => !a.IsRunning).ToArray();
        var lastUsed = Array.ConvertAll(idle, a => Volatile.Read(ref a.LastUsed));
        Array.Sort(lastUsed, idle);
        foreach (var activation in idle)
        {
            if (excess <= 0) break;
            if (activation.TryDeactivate()) { Remove(activation); excess--; }
        }
    }

    public async Task DeactivateAsync(Func<ConversationKey, bool> belongs, CancellationToken cancellationToken)
    {
        while (true)
        {
            var matching = _activations.Values.Where(a => belongs(a.Key)).ToList();
            var busy = new List<Task>();
            foreach (var activation in matching)
            {
                if (activation.TryDeactivate()) Remove(activation);
                else busy.Add(activation.WhenIdle());
            }
            if (busy.Count == 0 && matching.All(a => !_activations.ContainsKey(a.Key))) break;
            if (busy.Count > 0) await Task.WhenAll(busy).WaitAsync(cancellationToken).ConfigureAwait(false);
            else await Task.Yield();
        }
        await _relay.DrainAsync(belongs, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Shutdown: runs every pending event and sends every due action, up to the token; then aborts
    /// what is left (it stays in the store for the next owner).
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                // Only idle conversations: a running turn already holds its pending events, and a wake
                // would tell its grain that newer events arrived (a superseded reply that is never sent).
                // Events appended during the turn woke it when appended; an idle one is woken next round.
                foreach (var key in await _store.FindPendingInboxAsync(_ownership.OwnedShards, 10_000, cancellationToken).ConfigureAwait(false))
                {
                    if (!_activations.TryGetValue(key, out var activation) || !activation.IsRunning) Wake(key);
                }
                var busy = _activations.Values.Select(a => a.WhenIdle()).Where(t => !t.IsCompleted).ToList();
                if (busy.Count == 0 && (await _store.FindPendingInboxAsync(_ownership.OwnedShards, 1, cancellationToken).ConfigureAwait(false)).Count == 0) break;
                if (busy.Count > 0) await Task.WhenAll(busy).WaitAsync(cancellationToken).ConfigureAwait(false);
                else await Task.Delay(TimeSpan.FromMilliseconds(20), _time, cancellationToken).ConfigureAwait(false);
            }
            await _relay.DrainAsync(_ => true, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            LogStopTimedOut(ActivationCount);
        }
        finally
        {
            _running = false;
            _collector?.Dispose();
            await _abort.CancelAsync().ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        // Registered under two service types, so the container may dispose it twice.
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _collector?.Dispose();
        _abort.Cancel();
        _abort.Dispose();
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Error, Message = "Turn of {Key} failed; its events stay pending and the turn is retried in {Delay}")]
    private partial void LogTurnFailed(ConversationKey key, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "{Key} is fenced out at epoch {Fence}: another owner holds it; activation dropped")]
    private partial void LogFencedOut(ConversationKey key, long fence);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Commit of {Key} at version {Version} conflicted; reloading from the store")]
    private partial void LogCommitConflict(ConversationKey key, long version);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Warning, Message = "Shutdown grace ran out with {Count} activations; unprocessed events stay in the store")]
    private partial void LogStopTimedOut(int count);
}
