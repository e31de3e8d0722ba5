using Conversations.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Conversations.Grains.Hosting;

/// <summary>
/// Wakes conversations whose inbox events stay unconsumed: a wake was lost (Orleans messaging is
/// at-most-once), their silo died, or their actions wait for a retry on a grain timer that went
/// away with the activation. Every silo sweeps (no single point of failure): one indexed query per
/// <see cref="RedriveOptions.Interval"/> for events older than <see cref="RedriveOptions.After"/>,
/// and at once, with no age limit, when membership declares a silo dead. A wake of a conversation
/// that is fine costs one inbox read in its grain.
/// </summary>
public sealed partial class InboxRedrive(
    IConversationStore store,
    IGrainFactory grains,
    IClusterMembershipService membership,
    IOptions<RuntimeOptions> options,
    ConversationMetrics metrics,
    TimeProvider time,
    ILogger<InboxRedrive> logger) : BackgroundService
{
    private readonly RedriveOptions _options = options.Value.Redrive;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var deaths = WatchDeathsAsync(stoppingToken);
        using var timer = new PeriodicTimer(_options.Interval, time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
                await SweepAsync(_options.After, stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
        await deaths.ConfigureAwait(false);
    }

    /// <summary>Wakes every conversation with events unconsumed for at least <paramref name="olderThan"/>; returns how many.</summary>
    public async Task<int> SweepAsync(TimeSpan olderThan, CancellationToken cancellationToken)
    {
        try
        {
            var keys = await store.FindUnconsumedAsync(olderThan, _options.MaxPerSweep, cancellationToken).ConfigureAwait(false);
            if (olderThan == _options.After) metrics.InboxLagSeconds = (await store.OldestUnconsumedAgeAsync(cancellationToken).ConfigureAwait(false))?.TotalSeconds ?? 0;
            foreach (var key in keys) _ = grains.GetConversation(key).WakeAsync(0);
            if (keys.Count > 0)
            {
                metrics.Redriven.Add(keys.Count);
                LogRedriven(keys.Count);
            }
            return keys.Count;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { throw; }
        catch (Exception ex)
        {
            LogSweepFailed(ex);
            return 0;
        }
    }

    private async Task WatchDeathsAsync(CancellationToken stoppingToken)
    {
        var deaths = new DeathWatch();
        try
        {
            await foreach (var snapshot in membership.MembershipUpdates.WithCancellation(stoppingToken).ConfigureAwait(false))
            {
                if (!deaths.AnyNewlyDead(snapshot)) continue;
                LogSiloDead();
                // Its wakes in flight were lost and its timers are gone: everything unconsumed, now.
                await SweepAsync(TimeSpan.Zero, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested) { }
    }

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Re-drive woke {Count} conversations with unconsumed events")]
    private partial void LogRedriven(int count);

    [LoggerMessage(EventId = 3102, Level = LogLevel.Warning, Message = "Re-drive sweep failed; it runs again next interval")]
    private partial void LogSweepFailed(Exception exception);

    [LoggerMessage(EventId = 3103, Level = LogLevel.Information, Message = "Membership declared a silo dead: re-driving every unconsumed conversation")]
    private partial void LogSiloDead();
}
