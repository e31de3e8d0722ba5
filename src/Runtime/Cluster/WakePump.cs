using Conversations.Runtime.Store.Postgres;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Conversations.Runtime.Cluster;

/// <summary>
/// Feeds owned conversations to the runtime: LISTEN for wake-ups (a gateway's append NOTIFYs the
/// conversation in the same transaction) and cluster events, and poll the owned shards' pending
/// inbox as the fallback, so a lost notification (or a dropped LISTEN connection) only adds latency.
/// Never an id cursor: pending rows are found by state, so commit-order gaps skip nothing.
/// </summary>
public sealed partial class WakePump : IHostedLifecycleService, IDisposable
{
    private readonly NpgsqlDataSource _listenSource;
    private readonly PostgresConversationStore _store;
    private readonly ShardOwnershipTable _ownership;
    private readonly IConversationRuntime _runtime;
    private readonly SiloMembership _membership;
    private readonly ClusterCoordinator _coordinator;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<WakePump> _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly SemaphoreSlim _poll = new(0, 1);
    private Task? _listen;
    private Task? _polling;
    private volatile int _listenerProcessId;

    public WakePump(ListenDataSource listenSource, PostgresConversationStore store, ShardOwnershipTable ownership, IConversationRuntime runtime,
        SiloMembership membership, ClusterCoordinator coordinator, IOptions<ClusterOptions> options, TimeProvider time, ILogger<WakePump> logger)
    {
        _listenSource = listenSource.DataSource;
        _store = store;
        _ownership = ownership;
        _runtime = runtime;
        _membership = membership;
        _coordinator = coordinator;
        _options = options.Value;
        _time = time;
        _logger = logger;
        _membership.OwnershipChanged += () => { if (_ownership.OwnedShards is { Shards.Count: > 0 }) RequestPoll(); };
    }

    /// <summary>The backend process id of the LISTEN session (0 while not listening); tests terminate it to lose notifications.</summary>
    public int ListenerProcessId => _listenerProcessId;

    /// <summary>Notifications received, for metrics and tests.</summary>
    public long NotificationsReceived => Interlocked.Read(ref _received);
    private long _received;

    public Task StartingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken)
    {
        _listen = Task.Run(() => ListenAsync(_stop.Token), CancellationToken.None);
        _polling = Task.Run(() => PollAsync(_stop.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>Drain starts by no longer feeding anything new (turns of shards not yet handed off still run on wake-ups from their activations).</summary>
    public async Task StoppingAsync(CancellationToken cancellationToken) => await ShutdownAsync();

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task ShutdownAsync()
    {
        if (!_stop.IsCancellationRequested) await _stop.CancelAsync();
        foreach (var task in new[] { _listen, _polling })
        {
            if (task is null) continue;
            try { await task; } catch (OperationCanceledException) { }
        }
    }

    public void RequestPoll()
    {
        if (_poll.CurrentCount == 0)
        {
            try { _poll.Release(); } catch (SemaphoreFullException) { } catch (ObjectDisposedException) { }
        }
    }

    private async Task ListenAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await using var connection = await _listenSource.OpenConnectionAsync(stop);
                connection.Notification += OnNotification;
                await using (var command = new NpgsqlCommand($"listen {StoreSql.WakeChannel}; listen {ClusterSql.ClusterChannel}", connection))
                    await command.ExecuteNonQueryAsync(stop);
                _listenerProcessId = connection.ProcessID;
                LogListening(connection.ProcessID);
                // Anything notified while we were not listening is found by a poll right away.
                RequestPoll();
                _membership.RequestRefresh();
                while (!stop.IsCancellationRequested) await connection.WaitAsync(stop);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                _listenerProcessId = 0;
                LogListenFailed(ex);
                try { await Task.Delay(TimeSpan.FromMilliseconds(500), _time, stop); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    private void OnNotification(object sender, NpgsqlNotificationEventArgs e)
    {
        Interlocked.Increment(ref _received);
        if (e.Channel == ClusterSql.ClusterChannel)
        {
            _membership.RequestRefresh();
            _coordinator.RequestRound();
            return;
        }
        if (!WakePayload.TryParse(e.Payload, out var shard, out var key)) return;
        if (key is { } k)
        {
            if (_ownership.FenceFor(k) is not null) _runtime.Wake(k);
        }
        else if (_ownership.OwnedShards?.Shards.Contains(shard) == true)
        {
            RequestPoll();
        }
    }

    private async Task PollAsync(CancellationToken stop)
    {
        while (!stop.IsCancellationRequested)
        {
            try
            {
                await _poll.WaitAsync(_options.PollInterval, stop);
                if (_ownership.OwnedShards is not { Shards.Count: > 0 } owned) continue;
                // Only events a notification should already have delivered, and never into a turn in flight:
                // a spurious wake would tell that turn that newer events arrived when none did.
                foreach (var key in await _store.FindStalePendingInboxAsync(owned, _options.PollInterval, _options.PollBatchSize, stop))
                    if (_ownership.FenceFor(key) is not null) _runtime.Sweep(key);
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested) { return; }
            catch (Exception ex)
            {
                LogPollFailed(ex);
                try { await Task.Delay(_options.PollInterval, _time, stop); }
                catch (OperationCanceledException) { return; }
            }
        }
    }

    // Registered both as itself and as a hosted service: the container disposes it twice.
    private int _disposed;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        _stop.Cancel();
        _stop.Dispose();
        _poll.Dispose();
    }

    [LoggerMessage(EventId = 2201, Level = LogLevel.Debug, Message = "Listening for wake-ups on backend {ProcessId}")]
    private partial void LogListening(int processId);

    [LoggerMessage(EventId = 2202, Level = LogLevel.Warning, Message = "The LISTEN connection failed; reconnecting (polling covers the gap)")]
    private partial void LogListenFailed(Exception exception);

    [LoggerMessage(EventId = 2203, Level = LogLevel.Warning, Message = "Polling owned shards failed")]
    private partial void LogPollFailed(Exception exception);
}

/// <summary>A separate data source for the LISTEN session (session-bound, keepalive on; never through a transaction-mode pooler).</summary>
public sealed class ListenDataSource(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    public NpgsqlDataSource DataSource { get; } = dataSource;
    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
