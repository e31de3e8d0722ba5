using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Conversations.Gateway.Hosting;

namespace Conversations.Gateway.Cluster;

/// <summary>
/// The standalone gateway's Orleans client, connected in the background: the gateway answers
/// webhooks from its first second, whether or not a silo is up (O12), and wakes grains once the
/// client has reached the cluster (the ADO.NET membership table is its gateway list). A client that
/// could not connect is rebuilt and tried again every few seconds.
/// </summary>
public sealed partial class OrleansClientConnection(IConfiguration configuration, ILoggerFactory loggers, ILogger<OrleansClientConnection> logger)
    : BackgroundService, IGrainAccess
{
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(2);
    private volatile IHost? _client;

    public IGrainFactory? Current => _client?.Services.GetRequiredService<IClusterClient>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var host = OrleansClientHost.Build(configuration, loggers);
            try
            {
                await host.StartAsync(stoppingToken).ConfigureAwait(false);
                _client = host;
                LogConnected();
                return;
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogNotConnected(ex.GetType().Name, ex.Message, RetryDelay);
                host.Dispose();
            }
            catch (OperationCanceledException)
            {
                host.Dispose();
                return;
            }
            await Task.Delay(RetryDelay, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken).ConfigureAwait(false);
        if (_client is { } client)
        {
            _client = null;
            try { await client.StopAsync(cancellationToken).ConfigureAwait(false); }
            finally { client.Dispose(); }
        }
    }

    [LoggerMessage(EventId = 1101, Level = LogLevel.Information, Message = "Orleans client connected to the cluster")]
    private partial void LogConnected();

    [LoggerMessage(EventId = 1102, Level = LogLevel.Warning, Message = "Orleans client could not reach the cluster ({Error}: {Message}); webhooks are still stored; retrying in {Delay}")]
    private partial void LogNotConnected(string error, string message, TimeSpan delay);
}
