using Conversations.Gateway.Hosting;
using Conversations.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Conversations.Gateway.Admin.Stats;

/// <summary>
/// Every <see cref="LiveStatsOptions.Interval"/>, reads this process' running totals and the store's
/// inbox lag (one indexed query) into <see cref="LiveStats"/>. Off, with no listener at all, when no
/// admin token is set: then there is no console to show the charts.
/// </summary>
public sealed class LiveStatsSampler(
    ProjectMeterListener meters,
    LiveStats stats,
    IConversationStore store,
    IOptions<AdminOptions> admin,
    TimeProvider time,
    GatewayLog log) : BackgroundService
{
    private PeriodicTimer? _timer;
    private bool _lagUnavailable;

    /// <summary>Listening and the first interval start with the host, before any request is served.</summary>
    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(admin.Value.Token)) return Task.CompletedTask;
        meters.Start();
        stats.Start(meters.Read());
        _timer = new PeriodicTimer(stats.Interval, time);
        return base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = _timer!;
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
            {
                var lag = await ReadInboxLagAsync(stoppingToken).ConfigureAwait(false);
                stats.Record(meters.Read(), lag);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    public override void Dispose()
    {
        _timer?.Dispose();
        base.Dispose();
    }

    /// <summary>The age of the oldest unconsumed event (zero when none), or null when the store does not answer within one interval.</summary>
    private async Task<TimeSpan?> ReadInboxLagAsync(CancellationToken stoppingToken)
    {
        using var timeout = new CancellationTokenSource(stats.Interval, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
        try
        {
            var lag = await store.OldestUnconsumedAgeAsync(linked.Token).ConfigureAwait(false) ?? TimeSpan.Zero;
            if (_lagUnavailable) log.InboxLagAvailable();
            _lagUnavailable = false;
            return lag;
        }
        catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
        {
            // Said once per outage: the store's own failures are logged where they matter.
            if (!_lagUnavailable) log.InboxLagUnavailable(ex.GetType().Name);
            _lagUnavailable = true;
            return null;
        }
    }
}
