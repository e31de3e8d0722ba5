using Conversations.Runtime.Outbox;
using Conversations.Runtime.Store;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conversations.Runtime.Cluster;

/// <summary>
/// This silo in the cluster: joins with a new incarnation, renews its lease (reading the shards it
/// owns in the same round trip), self-fences when it cannot renew in time, hands shards over when
/// the coordinator asks, and on SIGTERM drains: hands every shard to the other silos in batches
/// (stop turns → finish in-flight turns and sends → release with a new epoch) and releases what is
/// left at the end of <see cref="ClusterOptions.DrainTimeout"/> instead of leaving it to expire.
/// </summary>
public sealed partial class SiloMembership : IHostedLifecycleService, IDisposable
{
    private readonly ClusterDatabase _db;
    private readonly ShardOwnershipTable _table;
    private readonly IConversationRuntime _runtime;
    private readonly OutboxRelay _relay;
    private readonly IConversationStore _store;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<SiloMembership> _logger;
    private readonly LeaseClock _clock;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _refresh = new(0, 1);
    private readonly HashSet<int> _handingOff = [];
    private readonly Lock _lock = new();
    private Task? _loop;
    private Task? _watchdog;
    private long _incarnation;
    private volatile bool _draining;
    private volatile bool _heartbeatPaused;

    public SiloMembership(ClusterDatabase db, ShardOwnershipTable table, IConversationRuntime runtime, OutboxRelay relay,
        IConversationStore store, IOptions<ClusterOptions> options, TimeProvider time, ILogger<SiloMembership> logger)
    {
        _db = db;
        _table = table;
        _runtime = runtime;
        _relay = relay;
        _store = store;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _clock = new LeaseClock(_options.LeaseTtl, _options.LeaseMargin);
    }

    /// <summary>The current incarnation (0 while not joined).</summary>
    public long Incarnation => Volatile.Read(ref _incarnation);

    public bool IsDraining => _draining;

    /// <summary>Raised after a renew installed a new set of owned shards.</summary>
    public event Action? OwnershipChanged;

    /// <summary>Renew now (a shard event arrived): picks up assignments and handoff requests without waiting for the interval.</summary>
    public void RequestRefresh()
    {
        if (_refresh.CurrentCount == 0)
        {
            try { _refresh.Release(); } catch (SemaphoreFullException) { }
        }
    }

    /// <summary>
    /// Stops renewing (as a long GC pause or a frozen VM would) until resumed; the lease then runs out
    /// and the silo self-fences. Used by the cluster test harness and by operators' fault drills.
    /// </summary>
    public void PauseHeartbeats(bool paused)
    {
        _heartbeatPaused = paused;
        if (!paused) RequestRefresh();
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        _watchdog = Task.Run(() => WatchAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StoppingAsync(CancellationToken cancellationToken)
    {
        try { await DrainAsync(cancellationToken); }
        catch (Exception ex) when (ex is not OperationCanceledException || !_stop.IsCancellationRequested) { LogDrainFailed(ex); }
        await ShutdownLoopsAsync();
        var incarnation = Incarnation;
        _table.Clear();
        if (incarnation != 0)
        {
            try { await _db.LeaveAsync(incarnation, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None); }
            catch (Exception ex) { LogLeaveFailed(ex); }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Ends the loops without draining (the harness's kill: the lease is left to expire).</summary>
    public async Task ShutdownLoopsAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        foreach (var task in new[] { _loop, _watchdog })
        {
            if (task is null) continue;
            try { await task; } catch (OperationCanceledException) { }
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                if (Incarnation == 0 && !_draining) await JoinAsync(stop);
                if (Incarnation != 0 && !_heartbeatPaused) await HeartbeatAsync(stop);
                await WaitForRefreshAsync(_options.RenewInterval, stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                // The database is unreachable or slow: retry soon. The watchdog fences at the local deadline.
                LogRenewFailed(ex);
                try { await Task.Delay(TimeSpan.FromTicks(Math.Max(_options.RenewInterval.Ticks / 4, TimeSpan.TicksPerMillisecond * 50)), _time, stop); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    private async Task JoinAsync(CancellationToken stop)
    {
        var sentAt = _time.GetTimestamp();
        var incarnation = await _db.JoinAsync(_options.EffectiveHostName, _options.LeaseTtl, stop);
        Volatile.Write(ref _incarnation, incarnation);
        _table.Update(incarnation, _clock.TrustedUntil(sentAt, _time.TimestampFrequency), new Dictionary<int, long>());
        LogJoined(incarnation, _options.EffectiveHostName);
        await _db.NotifyAsync("joined", stop);
    }

    private async Task HeartbeatAsync(CancellationToken stop)
    {
        var incarnation = Incarnation;
        var sentAt = _time.GetTimestamp();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stop);
        timeout.CancelAfter(_options.RenewInterval);
        var owned = await _db.HeartbeatAsync(incarnation, _options.LeaseTtl, timeout.Token);
        if (owned is null)
        {
            // Expired or declared dead in database time: our shards may already be someone else's.
            LogLeaseLost(incarnation);
            await SelfFenceAsync();
            Volatile.Write(ref _incarnation, 0);
            return;
        }
        Apply(incarnation, _clock.TrustedUntil(sentAt, _time.TimestampFrequency), owned);
    }

    private void Apply(long incarnation, long trustedUntil, IReadOnlyList<OwnedShard> owned)
    {
        var previous = _table.Owned;
        var epochs = owned.ToDictionary(s => s.Shard, s => s.Epoch);
        _table.Update(incarnation, trustedUntil, epochs);

        var lost = previous.Keys.Where(s => !epochs.ContainsKey(s)).ToHashSet();
        if (lost.Count > 0)
        {
            LogShardsLost(lost.Count);
            _ = DeactivateQuietlyAsync(lost, _options.HandoffTurnTimeout);
        }
        var gained = epochs.Keys.Where(s => !previous.ContainsKey(s)).ToList();
        if (gained.Count > 0) LogShardsGained(gained.Count, incarnation);

        List<int> resumed;
        List<IGrouping<long, OwnedShard>> handoffs;
        lock (_lock)
        {
            resumed = _table.Leaving.Where(s => !_handingOff.Contains(s) && !_draining).ToList();
            handoffs = _draining ? [] : owned.Where(s => s.HandoffTo != 0 && !_handingOff.Contains(s.Shard)).GroupBy(s => s.HandoffTo).ToList();
            foreach (var group in handoffs) foreach (var shard in group) _handingOff.Add(shard.Shard);
        }
        if (resumed.Count > 0) _table.Unleave(resumed);
        foreach (var group in handoffs) _ = HandOffAsync(incarnation, group.Key, group.Select(s => s.Shard).ToList());
        if (gained.Count > 0 || resumed.Count > 0) _ = SweepAsync(gained.Concat(resumed).ToList());
        OwnershipChanged?.Invoke();
    }

    /// <summary>The coordinator asked for these shards to move to <paramref name="target"/>: stop, finish, release.</summary>
    private async Task HandOffAsync(long incarnation, long target, IReadOnlyList<int> shards)
    {
        try
        {
            LogHandingOff(shards.Count, target);
            _table.MarkLeaving(shards);
            await DeactivateQuietlyAsync(shards.ToHashSet(), _options.HandoffTurnTimeout);
            var moved = await _db.ReleaseAsync(incarnation, shards.Select(s => new ShardMove(s, incarnation, target)).ToList(), requireHandoff: true, _stop.Token);
            _table.Remove(moved);
            if (moved.Count > 0) await _db.NotifyAsync("released", _stop.Token);
        }
        catch (Exception ex) when (!_stop.IsCancellationRequested) { LogHandoffFailed(target, ex); }
        catch (OperationCanceledException) { }
        finally
        {
            lock (_lock) foreach (var shard in shards) _handingOff.Remove(shard);
            // Anything not moved (cancelled, forced, or failed) is reconciled by the next renew.
            RequestRefresh();
        }
    }

    /// <summary>Wakes what is pending in shards just gained: events left by the previous owner, and unsent actions.</summary>
    private async Task SweepAsync(IReadOnlyList<int> shards)
    {
        try
        {
            var set = new ShardSet(_options.ShardCount, shards);
            foreach (var key in await _store.FindPendingInboxAsync(set, 100_000, _stop.Token))
                if (_table.FenceFor(key) is not null) _runtime.Sweep(key);
            foreach (var key in await _store.FindDueOutboxAsync(DateTimeOffset.MaxValue, set, 100_000, _stop.Token))
                if (_table.FenceFor(key) is not null) _relay.Kick(key);
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested) { }
        catch (Exception ex) { LogSweepFailed(ex); }
    }

    private async Task DeactivateQuietlyAsync(IReadOnlySet<int> shards, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout, _time);
        try { await _runtime.DeactivateAsync(key => shards.Contains(key.Shard(_options.ShardCount)), cts.Token); }
        catch (OperationCanceledException) { LogDeactivateTimedOut(shards.Count, timeout); }
    }

    /// <summary>Fences this silo at the local deadline even if the heartbeat call hangs.</summary>
    private async Task WatchAsync(CancellationToken stop)
    {
        var fenced = false;
        var period = TimeSpan.FromTicks(Math.Clamp(_options.LeaseMargin.Ticks / 4, TimeSpan.TicksPerMillisecond * 20, TimeSpan.TicksPerMillisecond * 250));
        while (!stop.IsCancellationRequested)
        {
            try { await Task.Delay(period, _time, stop); }
            catch (OperationCanceledException) { return; }
            var trusted = _table.IsTrusted;
            if (trusted) { fenced = false; continue; }
            if (fenced || Incarnation == 0 || _table.TrustedUntil == long.MinValue) continue;
            fenced = true;
            LogSelfFenced(Incarnation);
            await DeactivateQuietlyAsync(Enumerable.Range(0, _options.ShardCount).ToHashSet(), _options.HandoffTurnTimeout);
        }
    }

    private async Task SelfFenceAsync()
    {
        LogSelfFenced(Incarnation);
        _table.Clear();
        await DeactivateQuietlyAsync(Enumerable.Range(0, _options.ShardCount).ToHashSet(), _options.HandoffTurnTimeout);
    }

    private async Task DrainAsync(CancellationToken shutdown)
    {
        _draining = true;
        var incarnation = Incarnation;
        if (incarnation == 0 || !_table.IsTrusted) return;
        var started = _time.GetTimestamp();
        using var budget = CancellationTokenSource.CreateLinkedTokenSource(shutdown);
        budget.CancelAfter(_options.DrainTimeout);
        var owned = _table.Owned.Count;
        LogDraining(incarnation, owned);
        try
        {
            await _db.SetDrainingAsync(incarnation, budget.Token);
            await _db.NotifyAsync("draining", budget.Token);
            // Handoffs the coordinator asked for before the drain finish on their own path.
            List<int> mine;
            lock (_lock) mine = _table.Owned.Keys.Where(s => !_handingOff.Contains(s)).ToList();
            var targets = await _db.ActiveSilosAsync(incarnation, budget.Token);
            var plan = ShardPlanner.Spread(targets, mine, incarnation);
            foreach (var batch in plan.Chunk(_options.DrainBatchSize))
            {
                var shards = batch.Select(m => m.Shard).ToHashSet();
                _table.MarkLeaving(shards);
                using (var turns = CancellationTokenSource.CreateLinkedTokenSource(budget.Token))
                {
                    // Keep a little of the budget for the final release.
                    turns.CancelAfter(TimeSpan.FromTicks(Math.Max(0, (_options.DrainTimeout - _time.GetElapsedTime(started)).Ticks * 3 / 4)));
                    try { await _runtime.DeactivateAsync(key => shards.Contains(key.Shard(_options.ShardCount)), turns.Token); }
                    catch (OperationCanceledException) when (!shutdown.IsCancellationRequested) { LogDeactivateTimedOut(shards.Count, _options.DrainTimeout); }
                }
                var moved = await _db.ReleaseAsync(incarnation, batch, requireHandoff: false, budget.Token);
                _table.Remove(moved);
                await _db.NotifyAsync("released", budget.Token);
            }
            if (targets.Count == 0)
                await DeactivateQuietlyAsync(_table.Owned.Keys.ToHashSet(), _options.DrainTimeout - _time.GetElapsedTime(started));
        }
        catch (OperationCanceledException) when (!shutdown.IsCancellationRequested) { }
        finally
        {
            // Whatever is still ours is released to nobody, so the coordinator reassigns it at once.
            var left = _table.Owned.Keys.ToList();
            if (left.Count > 0)
            {
                _table.MarkLeaving(left);
                try
                {
                    await _db.AbandonAsync(incarnation, left, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(3), CancellationToken.None);
                    await _db.NotifyAsync("released", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
                }
                catch (Exception ex) { LogReleaseFailed(left.Count, ex); }
                _table.Remove(left);
            }
            LogDrained(incarnation, owned, left.Count, _time.GetElapsedTime(started));
        }
    }

    private async Task WaitForRefreshAsync(TimeSpan interval, CancellationToken stop)
    {
        try { await _refresh.WaitAsync(interval, stop); }
        catch (OperationCanceledException) when (stop.IsCancellationRequested) { throw; }
    }

    // Registered both as itself and as a hosted service: the container disposes it twice.
    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _stop.Dispose();
        _refresh.Dispose();
    }

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Joined the cluster as silo {Incarnation} ({Host})")]
    private partial void LogJoined(long incarnation, string host);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Warning, Message = "Renewing the silo lease failed; retrying")]
    private partial void LogRenewFailed(Exception exception);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Error, Message = "Silo {Incarnation} lost its lease in the database; rejoining with a new incarnation")]
    private partial void LogLeaseLost(long incarnation);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "Silo {Incarnation} could not renew in time: self-fenced (turns stopped, activations dropped)")]
    private partial void LogSelfFenced(long incarnation);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Information, Message = "Gained {Count} shards (silo {Incarnation})")]
    private partial void LogShardsGained(int count, long incarnation);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Lost {Count} shards to other silos")]
    private partial void LogShardsLost(int count);

    [LoggerMessage(EventId = 2007, Level = LogLevel.Information, Message = "Handing {Count} shards to silo {Target}")]
    private partial void LogHandingOff(int count, long target);

    [LoggerMessage(EventId = 2008, Level = LogLevel.Warning, Message = "Handoff to silo {Target} failed; the coordinator forces it at its deadline")]
    private partial void LogHandoffFailed(long target, Exception exception);

    [LoggerMessage(EventId = 2009, Level = LogLevel.Warning, Message = "Turns of {Count} shards did not finish within {Timeout}; released anyway (late commits are fenced)")]
    private partial void LogDeactivateTimedOut(int count, TimeSpan timeout);

    [LoggerMessage(EventId = 2010, Level = LogLevel.Information, Message = "Draining silo {Incarnation}: handing over {Count} shards")]
    private partial void LogDraining(long incarnation, int count);

    [LoggerMessage(EventId = 2011, Level = LogLevel.Information, Message = "Drained silo {Incarnation}: {Owned} shards handed over, {Released} released unassigned, in {Elapsed}")]
    private partial void LogDrained(long incarnation, int owned, int released, TimeSpan elapsed);

    [LoggerMessage(EventId = 2012, Level = LogLevel.Error, Message = "Drain failed")]
    private partial void LogDrainFailed(Exception exception);

    [LoggerMessage(EventId = 2013, Level = LogLevel.Error, Message = "Releasing {Count} shards at the end of the drain failed; they expire with the lease")]
    private partial void LogReleaseFailed(int count, Exception exception);

    [LoggerMessage(EventId = 2014, Level = LogLevel.Warning, Message = "Leaving the cluster failed; the row expires with the lease")]
    private partial void LogLeaveFailed(Exception exception);

    [LoggerMessage(EventId = 2015, Level = LogLevel.Warning, Message = "Sweeping newly owned shards failed; polling picks them up")]
    private partial void LogSweepFailed(Exception exception);
}
