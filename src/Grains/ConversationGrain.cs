using Conversations.Grains.Conversation;
using Conversations.Grains.Hosting;
using Conversations.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Hosting;
using Orleans.Storage;

namespace Conversations.Grains;

/// <summary>
/// The Orleans host of one conversation. A wake runs turns until the inbox is read up to its end:
/// each turn reads the events after the cursor, lets the policy decide, and writes cursor, policy
/// state and the decided actions in one etag-checked state write; only then are the actions sent,
/// in order. Non-reentrant, so turns never overlap (I2). A refused write (another activation wrote
/// first) deactivates this one before it sends anything (O3); any other failure leaves the events
/// unconsumed for a retry on a timer, or for the re-drive if this activation goes away.
/// Countdowns (timed work such as an inactivity follow-up) are committed with the turn that decided
/// them; when one falls due, a grain timer (while the activation lives) or the countdown reminder
/// (durable: after a silo's death or a restart) runs a turn without events, committed the same way.
/// </summary>
public sealed partial class ConversationGrain(
    [PersistentState("conversation", ConversationGrain.StorageName)] IPersistentState<ConversationGrainState> state,
    IConversationStore store,
    IConversationPolicyFactory policies,
    ActionSender sender,
    IOptions<RuntimeOptions> options,
    IOptions<ReminderOptions> reminderOptions,
    ConversationMetrics metrics,
    TimeProvider time,
    ILogger<ConversationGrain> logger) : Grain, IConversationGrain, IRemindable
{
    /// <summary>The grain storage provider's name (Memory or ADO.NET, by <c>Conversations:Store:Provider</c>).</summary>
    public const string StorageName = "conversations";

    private static readonly TimeSpan MaxTurnRetryDelay = TimeSpan.FromMinutes(1);

    /// <summary>Grain timers take at most about 49 days; a longer countdown's timer fires early, finds nothing due and is armed again.</summary>
    private static readonly TimeSpan MaxCountdownTimerDelay = TimeSpan.FromDays(1);

    private readonly RuntimeOptions _options = options.Value;
    private ConversationKey _key;
    private IConversationPolicy? _policy;
    private IGrainTimer? _retryTimer;
    private IGrainTimer? _countdownTimer;
    private IGrainReminder? _reminder;
    private readonly CountdownReminderSchedule _reminderSchedule = new();
    private bool _countdownStuck; // the last step left a countdown due: its timer waits TurnRetryDelay
    private TimeSpan _turnRetryDelay = options.Value.TurnRetryDelay;
    private long _lastRead;
    private long _consumedUpTo;
    private bool _stopped;
    private bool _dirty; // state changed in memory and not yet written
    private ConversationSummary? _lastDirectory; // what this activation last wrote to the directory

    private static readonly TimeSpan DirectoryActivityStep = TimeSpan.FromSeconds(10);
    private Func<CancellationToken, ValueTask<IReadOnlyList<InboxMessage>>>? _readNewer;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _key = ConversationGrainKey.Parse(this.GetPrimaryKeyString());
        var s = state.State;
        // Whoever activated this (a wake, a reminder tick, an admin read), committed countdowns get their timer.
        _reminderSchedule.Activated(impliedByState: s.Countdowns.Count > 0 || s.Pending.Count > 0);
        ArmCountdownTimer();
        return Task.CompletedTask;
    }

    public Task WakeAsync(long upToSequence)
    {
        // A burst queues one wake per webhook behind the running turn; those its turn already read cost nothing.
        if (upToSequence != 0 && upToSequence <= state.State.Cursor && !HasDueAction() && !HasDueCountdown()) return Task.CompletedTask;
        return RunAsync();
    }

    /// <summary>The countdown reminder ticked: the due countdowns run (the state says which; a tick finds nothing twice).</summary>
    public async Task ReceiveReminder(string reminderName, TickStatus status)
    {
        if (reminderName != CountdownReminderSchedule.ReminderName) return;
        _reminderSchedule.Ticked(status.FirstTickTime, status.Period);
        await RunAsync(reminderTick: true);
    }

    public Task<ConversationSnapshot> GetSnapshotAsync()
    {
        var s = state.State;
        IReadOnlyList<PendingActionView> pending = [.. s.Pending.Select(a => new PendingActionView(a.Id, a.Kind, a.Attempts, a.NextAttemptAt, a.LastError))];
        IReadOnlyList<CountdownView> countdowns = [.. s.Countdowns.Select(c => new CountdownView(c.Kind, c.DueAt))];
        return Task.FromResult(new ConversationSnapshot(state.RecordExists, s.Version, s.Cursor, s.Policy, pending, policies.HandoffRouteOf(s.Policy), countdowns));
    }

    public async Task<bool> RetryParkedAsync(long actionId)
    {
        var s = state.State;
        if (s.Pending.Any(a => a.Id == actionId))
        {
            // Written back already (a retry whose parked row could not be removed): finish the removal.
            await store.RemoveParkedAsync(_key, actionId, CancellationToken.None);
            return true;
        }
        var parked = (await store.ReadParkedAsync(_key, CancellationToken.None)).FirstOrDefault(p => p.Id == actionId);
        if (parked is null) return false;

        // Written first: a failure after this leaves it pending (sent later) rather than lost.
        s.Pending.Add(new PendingAction { Id = parked.Id, Kind = parked.Kind, Payload = parked.Payload.ToArray() });
        s.Version++;
        _dirty = true;
        try
        {
            await state.WriteStateAsync();
        }
        catch (InconsistentStateException ex)
        {
            WriteRefused(ex);
            throw;
        }
        catch
        {
            Stop(); // the etag is unknown now: the next call starts from storage
            throw;
        }
        _dirty = false;
        await store.RemoveParkedAsync(_key, actionId, CancellationToken.None);
        LogRetriedParked(_key, actionId, parked.Kind);
        await RunAsync();
        return true;
    }

    private async Task RunAsync(bool reminderTick = false)
    {
        if (_stopped) return;
        try
        {
            // Events first: a customer message already in the inbox cancels a countdown due now.
            while (await RunTurnAsync()) { }
            var stepTaken = await RunDueCountdownsAsync();
            await SendDueAsync();
            await MarkConsumedAsync();
            await KeepReminderAsync(moveToNextDue: reminderTick || stepTaken);
            ArmCountdownTimer(); // also after a tick that came a hair early, or found nothing due
            _turnRetryDelay = _options.TurnRetryDelay;
            if (state.State.Pending.Count == 0) DisarmTimer(); // nothing to retry: let idle collection have the activation
        }
        catch (InconsistentStateException ex)
        {
            WriteRefused(ex);
        }
        catch (Exception ex)
        {
            metrics.TurnFailures.Add(1);
            LogTurnFailed(ex, _key, _turnRetryDelay);
            _policy = null; // it may have changed its state in memory: rebuild it from what was written
            if (_dirty)
            {
                // The state is ahead of what was written, and a failed write leaves the etag unknown:
                // start over from storage in a new activation (the re-drive wakes it).
                Stop();
                return;
            }
            ArmTimer(_turnRetryDelay);
            _turnRetryDelay = TimeSpan.FromTicks(Math.Min(_turnRetryDelay.Ticks * 2, MaxTurnRetryDelay.Ticks));
        }
    }

    /// <summary>Runs one turn over the next events; false when the inbox had nothing after the cursor.</summary>
    private async Task<bool> RunTurnAsync()
    {
        var s = state.State;
        var max = _options.MaxEventsPerTurn;
        var events = await store.ReadAfterAsync(_key, s.Cursor, max, CancellationToken.None);
        if (events.Count == 0) return false;

        using var span = ConversationTracing.StartTurn(_key, events);
        _policy ??= policies.Create(_key, s.Policy);
        _lastRead = events[^1].Sequence;
        var result = await _policy.RunTurnAsync(new TurnContext(_key, events, _readNewer ??= ReadNewerAsync), CancellationToken.None);

        await CommitAsync(result, _lastRead, stepTaken: false);
        metrics.Events.Add(events.Count);

        if (result.Actions.Count > 0) await SendDueAsync();
        return events.Count >= max;
    }

    /// <summary>
    /// The turn without events of the countdowns due now. It does not move the cursor (a tick is not an inbox
    /// event): the policy decides from its committed state, and what it did leaves that state in the same write as
    /// the actions it decided, so however often the timer and the reminder fire, a due time is acted on once.
    /// </summary>
    private async Task<bool> RunDueCountdownsAsync()
    {
        if (!HasDueCountdown()) return false;
        var s = state.State;
        using var span = ConversationTracing.StartCountdown(_key);
        _policy ??= policies.Create(_key, s.Policy);
        var result = await _policy.RunDueAsync(CancellationToken.None);
        _countdownStuck = false;
        await CommitAsync(result, s.Cursor, stepTaken: true);
        if (HasDueCountdown())
        {
            // The policy left a step due: retry later rather than spin on it.
            LogCountdownStillDue(_key);
            _countdownStuck = true;
            ArmCountdownTimer();
        }
        if (result.Actions.Count > 0) await SendDueAsync();
        return true;
    }

    /// <summary>
    /// Commits a turn's outcome in one etag-checked write: cursor, policy state, new actions, countdowns. The
    /// countdown reminder is registered before, when it would tick too late for them: a countdown is never
    /// committed without a durable trigger. Actions a step decided have no inbox event for the re-drive to find,
    /// so for them the reminder ticks within a period, in case this activation dies before it sends them.
    /// </summary>
    private async Task CommitAsync(TurnResult result, long cursor, bool stepTaken)
    {
        var s = state.State;
        var countdowns = result.Countdowns ?? [];
        var now = time.GetUtcNow();
        DateTimeOffset? wakeBy = countdowns.Count > 0 ? countdowns.Min(c => c.DueAt) : null;
        if (stepTaken && result.Actions.Count > 0 && (wakeBy is null || wakeBy > now + ReminderPeriod)) wakeBy = now + ReminderPeriod;
        // A countdown already committed has its reminder; a later one is covered by it as well.
        var covered = !stepTaken && EarliestCountdown() is { } committed && wakeBy >= committed;
        if (wakeBy is { } at && !covered && _reminderSchedule.NeedsRegistration(at, now, exact: stepTaken)) await RegisterReminderAsync(at);

        _dirty = true;
        s.Cursor = cursor;
        if (result.NewState is { } newState) s.Policy = newState.ToArray();
        foreach (var action in result.Actions)
            s.Pending.Add(new PendingAction { Id = s.NextActionId++, Kind = action.Kind, Payload = action.Payload.ToArray() });
        s.Countdowns = [.. countdowns.Select(c => new PendingCountdown { Kind = c.Kind, DueAt = c.DueAt })];
        s.Version++;
        await state.WriteStateAsync();
        _dirty = false;
        metrics.Turns.Add(1);
        if (result.Summary is { } summary) await UpsertDirectoryAsync(summary);
        ArmCountdownTimer();
    }

    /// <summary>
    /// The admin list's entry for this conversation: best effort, a failure is logged and the turn
    /// goes on. Skipped while only the last activity moved, by less than <see cref="DirectoryActivityStep"/>:
    /// a busy conversation costs one directory write per step, not one per turn.
    /// </summary>
    private async Task UpsertDirectoryAsync(ConversationSummary summary)
    {
        if (_lastDirectory is { } last && last.Mode == summary.Mode && last.HandoffReason == summary.HandoffReason
            && summary.LastActivityAt is { } at && last.LastActivityAt is { } before && at - before < DirectoryActivityStep)
            return;
        try
        {
            var now = time.GetUtcNow();
            await store.UpsertDirectoryAsync(new ConversationDirectoryEntry(
                _key.Tenant, _key.ConversationId, summary.Mode, summary.HandoffReason, summary.LastActivityAt ?? now, now), CancellationToken.None);
            _lastDirectory = summary;
        }
        catch (Exception ex)
        {
            LogDirectoryFailed(ex, _key);
        }
    }

    /// <summary>Events that arrived after the running turn's own: the next turn's. The inbox says what is really there.</summary>
    private ValueTask<IReadOnlyList<InboxMessage>> ReadNewerAsync(CancellationToken cancellationToken) =>
        store.ReadAfterAsync(_key, _lastRead, _options.MaxEventsPerTurn, cancellationToken);

    /// <summary>
    /// Sends the due actions in order, then writes back what changed (sent ones leave the list). A
    /// retryable failure holds back the later actions and re-arms the timer; an exhausted or
    /// permanent one is parked where operators see it.
    /// </summary>
    private async Task SendDueAsync()
    {
        var s = state.State;
        var changed = false;
        try
        {
            while (s.Pending.Count > 0)
            {
                var action = s.Pending[0];
                var now = time.GetUtcNow();
                if (action.NextAttemptAt is { } next && next > now)
                {
                    ArmTimer(next - now);
                    break;
                }

                var outcome = await sender.SendAsync(_key, action.ToMessage(now), CancellationToken.None);
                var attempt = action.Attempts + 1;
                if (outcome.Kind == SendResult.Sent)
                {
                    s.Pending.RemoveAt(0);
                    changed = _dirty = true;
                    metrics.ActionsSent.Add(1);
                    continue;
                }
                if (outcome.Kind == SendResult.Permanent || attempt >= _options.Outbox.MaxAttempts)
                {
                    var error = outcome.Kind == SendResult.Permanent ? outcome.Error ?? "permanent failure" : $"gave up after {attempt} attempts: {outcome.Error}";
                    await store.ParkAsync(_key, action.ToMessage(now) with { Attempts = attempt, LastError = error }, CancellationToken.None);
                    s.Pending.RemoveAt(0);
                    changed = _dirty = true;
                    metrics.ActionsParked.Add(1);
                    LogParked(_key, action.Id, action.Kind, attempt, error);
                    continue;
                }
                var delay = outcome.RetryAfter is { } retryAfter && retryAfter > TimeSpan.Zero ? retryAfter : Backoff(attempt);
                action.Attempts = attempt;
                action.NextAttemptAt = now + delay;
                action.LastError = outcome.Error;
                changed = _dirty = true;
                metrics.ActionsRetried.Add(1);
                LogRetrying(_key, action.Id, action.Kind, attempt, delay, outcome.Error);
                ArmTimer(delay);
                break; // later actions wait: order per conversation (I4)
            }
        }
        finally
        {
            if (changed)
            {
                s.Version++;
                await state.WriteStateAsync();
                _dirty = false;
            }
        }
    }

    /// <summary>Once nothing is pending, the events up to the cursor are done: the re-drive stops looking at them.</summary>
    private async Task MarkConsumedAsync()
    {
        var s = state.State;
        if (s.Pending.Count > 0 || s.Cursor <= _consumedUpTo) return;
        await store.MarkConsumedAsync(_key, s.Cursor, CancellationToken.None);
        _consumedUpTo = s.Cursor;
    }

    private bool HasDueAction() =>
        state.State.Pending.Count > 0 && (state.State.Pending[0].NextAttemptAt is not { } next || next <= time.GetUtcNow());

    private DateTimeOffset? EarliestCountdown() =>
        state.State.Countdowns.Count == 0 ? null : state.State.Countdowns.Min(c => c.DueAt);

    private bool HasDueCountdown() => EarliestCountdown() is { } due && due <= time.GetUtcNow();

    /// <summary>The exact due time while this activation lives; it does not keep the activation alive (the reminder wakes a new one).</summary>
    private void ArmCountdownTimer()
    {
        if (_stopped) return;
        if (EarliestCountdown() is not { } due)
        {
            _countdownTimer?.Dispose();
            _countdownTimer = null;
            return;
        }
        var delay = due - time.GetUtcNow();
        if (_countdownStuck && delay < _options.TurnRetryDelay) delay = _options.TurnRetryDelay;
        if (delay < TimeSpan.Zero) delay = TimeSpan.Zero;
        if (delay > MaxCountdownTimerDelay) delay = MaxCountdownTimerDelay;
        if (_countdownTimer is null)
            _countdownTimer = this.RegisterGrainTimer(_ => RunAsync(), new GrainTimerCreationOptions(delay, Timeout.InfiniteTimeSpan) { KeepAlive = false });
        else
            _countdownTimer.Change(delay, Timeout.InfiniteTimeSpan);
    }

    private TimeSpan ReminderPeriod => reminderOptions.Value.MinimumReminderPeriod;

    private async Task RegisterReminderAsync(DateTimeOffset due)
    {
        var period = ReminderPeriod;
        var now = time.GetUtcNow();
        var dueTime = due > now ? due - now : TimeSpan.Zero;
        _reminder = await this.RegisterOrUpdateReminder(CountdownReminderSchedule.ReminderName, dueTime, period);
        _reminderSchedule.Registered(now + dueTime, period);
    }

    /// <summary>
    /// After a run. Once the actions are sent, a reminder that just ticked or a step just taken moves the reminder to
    /// the next due time (no minute-by-minute ticks while a long countdown waits); while actions are pending it keeps
    /// ticking for them. With no countdown and nothing pending it goes. Best effort both: the reminder as it stands
    /// ticks in time for what is committed (registered before the commit), and a stale one only ticks once more into
    /// a state with nothing due, to be removed then.
    /// </summary>
    private async Task KeepReminderAsync(bool moveToNextDue)
    {
        var s = state.State;
        try
        {
            if (EarliestCountdown() is { } earliest)
            {
                if (moveToNextDue && s.Pending.Count == 0 && _reminderSchedule.NeedsRegistration(earliest, time.GetUtcNow(), exact: true))
                    await RegisterReminderAsync(earliest);
                return;
            }
            if (s.Pending.Count > 0 || !_reminderSchedule.MayExist) return;
            var reminder = _reminder ?? await this.GetReminder(CountdownReminderSchedule.ReminderName);
            if (reminder is not null) await this.UnregisterReminder(reminder);
            _reminder = null;
            _reminderSchedule.Unregistered();
        }
        catch (Exception ex)
        {
            LogReminderNotKept(ex, _key);
        }
    }

    private void ArmTimer(TimeSpan due)
    {
        if (_stopped) return;
        due = due < TimeSpan.Zero ? TimeSpan.Zero : due;
        if (_retryTimer is null)
            _retryTimer = this.RegisterGrainTimer(_ => RunAsync(), new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan) { KeepAlive = true });
        else
            _retryTimer.Change(due, Timeout.InfiniteTimeSpan);
    }

    private void DisarmTimer()
    {
        _retryTimer?.Dispose();
        _retryTimer = null;
    }

    /// <summary>Exponential from <see cref="OutboxOptions.InitialBackoff"/>, capped, with ±20% jitter.</summary>
    private TimeSpan Backoff(int attempt)
    {
        var exponent = Math.Min(attempt - 1, 30);
        var ticks = Math.Min(_options.Outbox.InitialBackoff.Ticks * (1L << exponent), _options.Outbox.MaxBackoff.Ticks);
        return TimeSpan.FromTicks((long)(ticks * (0.8 + Random.Shared.NextDouble() * 0.4)));
    }

    /// <summary>Another activation wrote this conversation: what this one holds is stale, and it has sent nothing of it.</summary>
    private void WriteRefused(InconsistentStateException ex)
    {
        metrics.WriteConflicts.Add(1);
        LogWriteRefused(_key, ex.Message);
        Stop();
    }

    /// <summary>Drops this activation once the current call ends; the next message activates a fresh one from storage.</summary>
    private void Stop()
    {
        _stopped = true;
        _policy = null;
        DisarmTimer();
        _countdownTimer?.Dispose();
        _countdownTimer = null;
        DeactivateOnIdle();
    }

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "State write of {Key} was refused ({Error}); another activation holds it, this one stops and sends nothing")]
    private partial void LogWriteRefused(ConversationKey key, string error);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Error, Message = "Turn of {Key} failed; its events stay unconsumed and are retried (next delay {Delay})")]
    private partial void LogTurnFailed(Exception exception, ConversationKey key, TimeSpan delay);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Warning, Message = "Action {ActionId} ({Kind}) of {Key} failed (attempt {Attempt}); retrying in {Delay}: {Error}")]
    private partial void LogRetrying(ConversationKey key, long actionId, string kind, int attempt, TimeSpan delay, string? error);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Warning, Message = "Directory entry of {Key} was not written; the admin list shows it as it was")]
    private partial void LogDirectoryFailed(Exception exception, ConversationKey key);

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information, Message = "Parked action {ActionId} ({Kind}) of {Key} is pending again (operator retry)")]
    private partial void LogRetriedParked(ConversationKey key, long actionId, string kind);

    [LoggerMessage(EventId = 3007, Level = LogLevel.Error, Message = "A countdown of {Key} is still due after its turn; retrying later")]
    private partial void LogCountdownStillDue(ConversationKey key);

    [LoggerMessage(EventId = 3008, Level = LogLevel.Warning, Message = "Countdown reminder of {Key} was not moved or removed; it ticks as registered, into a state that says what is due")]
    private partial void LogReminderNotKept(Exception exception, ConversationKey key);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Error, Message = "Action {ActionId} ({Kind}) of {Key} parked after {Attempt} attempts: {Error}")]
    private partial void LogParked(ConversationKey key, long actionId, string kind, int attempt, string error);
}
