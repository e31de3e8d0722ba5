using Conversations.Runtime.Store.Postgres;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conversations.Runtime.Cluster;

/// <summary>
/// Runs on every silo; acts only while elected (River-style lease in the coordinator table). Each
/// round: declares silos dead whose lease expired more than the grace ago, gives orphaned shards to
/// the least-loaded live silos, cancels handoffs to silos that left, forces handoffs past their
/// deadline, and, only while membership has been stable long enough, rebalances a bounded number of
/// shards toward ⌈N/active⌉ each. Every write carries the leader guard, so a stale leader does nothing.
/// </summary>
public sealed partial class ClusterCoordinator : IHostedLifecycleService, IDisposable
{
    private readonly ClusterDatabase _db;
    private readonly SiloMembership _membership;
    private readonly ShardOwnershipTable _table;
    private readonly PostgresConversationStore _store;
    private readonly ClusterOptions _options;
    private readonly PostgresStoreOptions _storeOptions;
    private readonly TimeProvider _time;
    private readonly ILogger<ClusterCoordinator> _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _kick = new(0, 1);
    private Task? _loop;
    private long _term;
    private long _termHolder;
    private string _membershipKey = "";
    private long _stableSince;
    private long _lastRebalance;
    private long _lastRetention;
    private Task _retention = Task.CompletedTask;

    public ClusterCoordinator(ClusterDatabase db, SiloMembership membership, ShardOwnershipTable table, PostgresConversationStore store,
        IOptions<ClusterOptions> options, IOptions<PostgresStoreOptions> storeOptions, TimeProvider time, ILogger<ClusterCoordinator> logger)
    {
        _db = db;
        _membership = membership;
        _table = table;
        _store = store;
        _options = options.Value;
        _storeOptions = storeOptions.Value;
        _time = time;
        _logger = logger;
        _lastRetention = time.GetTimestamp();
    }

    /// <summary>True while this silo holds the coordinator lease (as last seen).</summary>
    public bool IsLeader => Volatile.Read(ref _term) != 0;

    /// <summary>Run a round now (a silo joined, drained or released shards).</summary>
    public void RequestRound()
    {
        if (_kick.CurrentCount == 0)
        {
            try { _kick.Release(); } catch (SemaphoreFullException) { }
        }
    }

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(() => RunAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Resigns first thing on shutdown so another silo takes over while this one drains.</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken) => await ShutdownAsync(resign: true);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task ShutdownAsync(bool resign)
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        if (_loop is not null)
        {
            try { await _loop; } catch (OperationCanceledException) { }
        }
        await _retention; // cancelled with the loop; never throws
        var term = Interlocked.Exchange(ref _term, 0);
        if (resign && term != 0)
        {
            try
            {
                await _db.ResignAsync(_termHolder, term, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None);
                await _db.NotifyAsync("resigned", CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(1), CancellationToken.None);
            }
            catch (Exception ex) { LogResignFailed(ex); }
        }
    }

    private async Task RunAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _kick.WaitAsync(_options.CoordinatorInterval, stop);
                await RoundAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                LogRoundFailed(ex);
                Volatile.Write(ref _term, 0);
            }
        }
    }

    /// <summary>One coordinator round (public for tests that drive rounds directly).</summary>
    public async Task RoundAsync(CancellationToken cancellationToken)
    {
        var me = _membership.Incarnation;
        if (me == 0 || _membership.IsDraining || !_table.IsTrusted)
        {
            Volatile.Write(ref _term, 0);
            return;
        }
        var term = await _db.ElectAsync(me, _options.LeaseTtl, cancellationToken);
        if (term is not { } t)
        {
            Volatile.Write(ref _term, 0);
            return;
        }
        var now = _time.GetTimestamp();
        if (Interlocked.Exchange(ref _term, t) != t || _termHolder != me)
        {
            // A new term: observe membership afresh before any rebalance.
            _termHolder = me;
            _membershipKey = "";
            _lastRebalance = now;
            LogElected(me, t);
        }

        var changed = false;
        var dead = await _db.MarkDeadAsync(me, t, _options.FailoverGrace, cancellationToken);
        foreach (var silo in dead) LogSiloDead(silo);
        changed |= dead.Count > 0;
        await _db.DeleteDeadAsync(me, t, _options.DeadSiloRetention, cancellationToken);

        var cancelled = await _db.CancelHandoffsAsync(me, t, cancellationToken);
        var forced = await _db.ForceHandoffsAsync(me, t, cancellationToken);
        if (forced.Count > 0) LogHandoffsForced(forced.Count);
        changed |= cancelled.Count > 0 || forced.Count > 0;

        var view = await _db.ReadViewAsync(cancellationToken);
        var active = view.Silos.Where(s => s.Status == SiloRow.Active && s.LeaseValid).Select(s => s.Incarnation).ToList();
        var activeSet = active.ToHashSet();
        var ownedByActive = view.Shards.Where(s => !s.OwnerDead && activeSet.Contains(s.Owner)).ToDictionary(s => s.Shard, s => s.Owner);
        var orphans = view.Shards.Where(s => s.OwnerDead).Select(s => s.Shard).ToList();

        var assigned = await _db.AssignOrphansAsync(me, t, ShardPlanner.AssignOrphans(active, ownedByActive, orphans), cancellationToken);
        if (assigned.Count > 0) LogAssigned(assigned.Count, active.Count);
        changed |= assigned.Count > 0;

        var key = string.Join(',', view.Silos.Where(s => s.Status != SiloRow.Dead).Select(s => $"{s.Incarnation}:{s.Status}"));
        if (key != _membershipKey)
        {
            _membershipKey = key;
            _stableSince = now;
        }
        if (IsStable(view, orphans.Count - assigned.Count, now))
        {
            var moves = ShardPlanner.Rebalance(active, ownedByActive, _options.EffectiveMaxMoves);
            var requested = await _db.RequestHandoffsAsync(me, t, moves, _options.HandoffDeadline, cancellationToken);
            if (requested.Count > 0) LogRebalancing(requested.Count, active.Count);
            changed |= requested.Count > 0;
            _lastRebalance = now;
        }
        if (changed) await _db.NotifyAsync("shards", cancellationToken);

        // Retention runs beside the rounds, never inside one: a long sweep must not delay failover.
        if (_retention.IsCompleted && _time.GetElapsedTime(_lastRetention, now) >= _storeOptions.RetentionInterval)
        {
            _lastRetention = now;
            _retention = Task.Run(() => SweepExpiredAsync(cancellationToken), CancellationToken.None);
        }
    }

    /// <summary>The retention sweep in flight (completed when none), for shutdown and tests.</summary>
    public Task RetentionSweep => _retention;

    private async Task SweepExpiredAsync(CancellationToken cancellationToken)
    {
        try
        {
            var (inbox, outbox) = await _store.DeleteExpiredAsync(_storeOptions.DedupeWindow, 5000, cancellationToken);
            if (inbox + outbox > 0) LogRetention(inbox, outbox);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
        catch (Exception ex) { LogRetentionFailed(ex); }
    }

    /// <summary>No joins, drains or deaths for StableMembershipFor, no late heartbeat, no orphans, no handoff in flight.</summary>
    private bool IsStable(ClusterView view, int orphansLeft, long now)
    {
        if (_time.GetElapsedTime(_lastRebalance, now) < _options.RebalanceInterval) return false;
        if (_time.GetElapsedTime(_stableSince, now) < _options.StableMembershipFor) return false;
        if (orphansLeft > 0 || view.Shards.Any(s => s.HandoffTo != 0)) return false;
        var live = view.Silos.Where(s => s.Status != SiloRow.Dead).ToList();
        return live.All(s => s.Status == SiloRow.Active && s.LeaseValid && s.SinceHeartbeat < _options.RenewInterval * 2);
    }

    // Registered both as itself and as a hosted service: the container disposes it twice.
    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _stop.Dispose();
        _kick.Dispose();
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Silo {Incarnation} is the coordinator (term {Term})")]
    private partial void LogElected(long incarnation, long term);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Silo {Incarnation} declared dead: its lease expired")]
    private partial void LogSiloDead(long incarnation);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Information, Message = "Assigned {Count} orphaned shards to {Silos} silos")]
    private partial void LogAssigned(int count, int silos);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Information, Message = "Rebalancing: {Count} shard handoffs requested across {Silos} silos")]
    private partial void LogRebalancing(int count, int silos);

    [LoggerMessage(EventId = 2105, Level = LogLevel.Warning, Message = "Forced {Count} handoffs past their deadline")]
    private partial void LogHandoffsForced(int count);

    [LoggerMessage(EventId = 2106, Level = LogLevel.Warning, Message = "Coordinator round failed")]
    private partial void LogRoundFailed(Exception exception);

    [LoggerMessage(EventId = 2107, Level = LogLevel.Warning, Message = "Resigning the coordinator failed; the lease expires")]
    private partial void LogResignFailed(Exception exception);

    [LoggerMessage(EventId = 2108, Level = LogLevel.Information, Message = "Retention deleted {Inbox} processed events and {Outbox} sent actions")]
    private partial void LogRetention(int inbox, int outbox);

    [LoggerMessage(EventId = 2109, Level = LogLevel.Warning, Message = "Retention sweep failed; the next one retries")]
    private partial void LogRetentionFailed(Exception exception);
}
