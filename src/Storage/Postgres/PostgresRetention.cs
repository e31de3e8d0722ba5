using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conversations.Storage.Postgres;

/// <summary>
/// Deletes consumed inbox rows older than the dedupe window every <c>RetentionInterval</c>. Every
/// process runs it; an advisory lock lets one sweep at a time, so there is no coordinator to lose.
/// </summary>
public sealed partial class PostgresRetention(PostgresConversationStore store, IOptions<PostgresStoreOptions> options, TimeProvider time, ILogger<PostgresRetention> logger)
    : BackgroundService
{
    private const int BatchSize = 5_000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.RetentionInterval;
        using var timer = new PeriodicTimer(interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                if (await store.DeleteExpiredAsync(options.Value.DedupeWindow, BatchSize, stoppingToken).ConfigureAwait(false) is > 0 and var deleted)
                    LogDeleted(deleted);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { return; }
            catch (Exception ex) { LogFailed(ex); }
        }
    }

    [LoggerMessage(EventId = 2101, Level = LogLevel.Information, Message = "Retention deleted {Count} consumed inbox rows")]
    private partial void LogDeleted(int count);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Warning, Message = "Retention sweep failed; it runs again next interval")]
    private partial void LogFailed(Exception exception);
}
