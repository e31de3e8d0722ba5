using System.Collections.Concurrent;
using Conversations.Runtime.Cluster;
using Conversations.Runtime.Diagnostics;
using Conversations.Runtime.Store;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conversations.Runtime.Outbox;

/// <summary>
/// Sends committed actions, in order per conversation, right after their turn commits. A failed
/// send is retried with jittered exponential backoff (or the platform's Retry-After) and holds back
/// the conversation's later actions; after the attempt limit, or at once for a permanent failure,
/// the action is parked: kept in the store, logged and counted, visible through the admin API.
/// A periodic sweep picks up due retries and actions a dead silo left behind.
/// </summary>
public sealed partial class OutboxRelay : IDisposable
{
    private readonly ConcurrentDictionary<ConversationKey, RelayLane> _lanes = new();
    private readonly IConversationStore _store;
    private readonly IOutboxSender _sender;
    private readonly IShardOwnership _ownership;
    private readonly OutboxOptions _options;
    private readonly TimeProvider _time;
    private readonly RuntimeMetrics _metrics;
    private readonly ILogger<OutboxRelay> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private ITimer? _sweeper;
    private int _disposed;

    public OutboxRelay(IConversationStore store, IOutboxSender sender, IShardOwnership ownership, IOptions<RuntimeOptions> options,
        TimeProvider time, RuntimeMetrics metrics, ILogger<OutboxRelay> logger)
    {
        _store = store;
        _sender = sender;
        _ownership = ownership;
        _options = options.Value.Outbox;
        _time = time;
        _metrics = metrics;
        _logger = logger;
    }

    public void Start() => _sweeper = _time.CreateTimer(_ => _ = SweepAsync(), null, _options.SweepInterval, _options.SweepInterval);

    /// <summary>The conversation has actions to send (just committed, or due for a retry).</summary>
    public void Kick(ConversationKey key)
    {
        if (_stopping.IsCancellationRequested) return;
        while (true)
        {
            var lane = _lanes.TryGetValue(key, out var existing) ? existing : _lanes.GetOrAdd(key, static (k, relay) => new RelayLane(k, relay), this);
            switch (lane.Kick())
            {
                case RelayLane.KickResult.Scheduled:
                    ThreadPool.UnsafeQueueUserWorkItem(lane, preferLocal: false);
                    return;
                case RelayLane.KickResult.AlreadyRunning:
                    return;
                case RelayLane.KickResult.Retired:
                    _lanes.TryRemove(KeyValuePair.Create(key, lane));
                    continue;
            }
        }
    }

    internal async Task RunAsync(RelayLane lane)
    {
        while (lane.TakeKick())
        {
            try { await SendDueAsync(lane.Key, _stopping.Token).ConfigureAwait(false); }
            catch (OperationCanceledException) when (_stopping.IsCancellationRequested) { }
            catch (Exception ex)
            {
                // The store failed us; the actions stay pending and the sweep will come back to them.
                LogRelayFailed(lane.Key, ex);
            }
        }
        _lanes.TryRemove(KeyValuePair.Create(lane.Key, lane));
    }

    private async Task SendDueAsync(ConversationKey key, CancellationToken cancellationToken)
    {
        foreach (var message in await _store.ReadOutboxAsync(key, cancellationToken).ConfigureAwait(false))
        {
            // A retry timer may fire after the shard moved: the new owner sends it, not us.
            if (_ownership.FenceFor(key) is null) return;
            var now = _time.GetUtcNow();
            if (message.NextAttemptAt > now)
            {
                KickLater(key, message.NextAttemptAt - now);
                return;
            }

            SendOutcome outcome;
            try { outcome = await _sender.SendAsync(key, message, cancellationToken).ConfigureAwait(false); }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { throw; }
            catch (Exception ex) { outcome = SendOutcome.Retry(ex.GetType().Name + ": " + ex.Message); }

            var attempt = message.Attempts + 1;
            switch (outcome.Kind)
            {
                case SendResult.Sent:
                    await _store.MarkOutboxAsync(key, message.Id, OutboxMark.Sent, cancellationToken).ConfigureAwait(false);
                    _metrics.ActionsSent.Add(1);
                    continue;
                case SendResult.Permanent:
                    await ParkAsync(key, message, attempt, outcome.Error ?? "permanent failure", cancellationToken).ConfigureAwait(false);
                    continue;
                default:
                    if (attempt >= _options.MaxAttempts)
                    {
                        await ParkAsync(key, message, attempt, $"gave up after {attempt} attempts: {outcome.Error}", cancellationToken).ConfigureAwait(false);
                        continue;
                    }
                    var delay = outcome.RetryAfter is { } retryAfter && retryAfter > TimeSpan.Zero ? retryAfter : Backoff(attempt);
                    await _store.MarkOutboxAsync(key, message.Id, OutboxMark.Retry(now + delay, outcome.Error ?? "retry"), cancellationToken).ConfigureAwait(false);
                    _metrics.ActionsRetried.Add(1);
                    LogRetrying(key, message.Id, message.Kind, attempt, delay, outcome.Error);
                    KickLater(key, delay);
                    return; // later actions wait: order per conversation
            }
        }
    }

    private async Task ParkAsync(ConversationKey key, OutboxMessage message, int attempt, string error, CancellationToken cancellationToken)
    {
        await _store.MarkOutboxAsync(key, message.Id, OutboxMark.Parked(error), cancellationToken).ConfigureAwait(false);
        _metrics.ActionsParked.Add(1);
        LogParked(key, message.Id, message.Kind, attempt, error);
    }

    /// <summary>Exponential from <see cref="OutboxOptions.InitialBackoff"/>, capped, with ±20% jitter.</summary>
    internal TimeSpan Backoff(int attempt)
    {
        var exponent = Math.Min(attempt - 1, 30);
        var ticks = Math.Min(_options.InitialBackoff.Ticks * (1L << exponent), _options.MaxBackoff.Ticks);
        return TimeSpan.FromTicks((long)(ticks * (0.8 + Random.Shared.NextDouble() * 0.4)));
    }

    private void KickLater(ConversationKey key, TimeSpan delay) =>
        _ = Task.Delay(delay, _time, _stopping.Token).ContinueWith(
            static (task, state) => { if (task.IsCompletedSuccessfully) { var (relay, key) = ((OutboxRelay, ConversationKey))state!; relay.Kick(key); } },
            (this, key), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

    private async Task SweepAsync()
    {
        try
        {
            foreach (var key in await _store.FindDueOutboxAsync(_time.GetUtcNow(), _ownership.OwnedShards, 10_000, _stopping.Token).ConfigureAwait(false))
                Kick(key);
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested) { }
        catch (Exception ex) { LogSweepFailed(ex); }
    }

    /// <summary>Waits until the lanes of the selected conversations have sent what is due (retries scheduled later are left in the store).</summary>
    public async Task DrainAsync(Func<ConversationKey, bool> belongs, CancellationToken cancellationToken)
    {
        while (true)
        {
            var busy = _lanes.Values.Where(l => belongs(l.Key)).Select(l => l.WhenIdle()).Where(t => !t.IsCompleted).ToList();
            if (busy.Count == 0) return;
            await Task.WhenAll(busy).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public void Stop()
    {
        _sweeper?.Dispose();
        _stopping.Cancel();
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Stop();
        _stopping.Dispose();
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Warning, Message = "Action {OutboxId} ({Kind}) of {Key} failed (attempt {Attempt}); retrying in {Delay}: {Error}")]
    private partial void LogRetrying(ConversationKey key, long outboxId, string kind, int attempt, TimeSpan delay, string? error);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "Action {OutboxId} ({Kind}) of {Key} parked after {Attempt} attempts: {Error}")]
    private partial void LogParked(ConversationKey key, long outboxId, string kind, int attempt, string error);

    [LoggerMessage(EventId = 1103, Level = LogLevel.Error, Message = "Relaying actions of {Key} failed; the sweep will retry")]
    private partial void LogRelayFailed(ConversationKey key, Exception exception);

    [LoggerMessage(EventId = 1104, Level = LogLevel.Error, Message = "Outbox sweep failed")]
    private partial void LogSweepFailed(Exception exception);
}
