using Conversations.Gateway.Hosting;
using Conversations.Storage;
using Microsoft.Extensions.Hosting;

namespace Conversations.Gateway.Health;

/// <summary>
/// Ready means a webhook would be stored now: the process is not stopping, the store answers, and
/// every registered <see cref="IReadinessContributor"/> (inside a silo: the Orleans silo is active)
/// agrees. Returns the reason it is not, or null.
/// </summary>
internal sealed class ReadinessCheck(
    IConversationStore store,
    IHostApplicationLifetime lifetime,
    IEnumerable<IReadinessContributor> contributors,
    GatewayLog log)
{
    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(5);
    private readonly IReadinessContributor[] _contributors = [.. contributors];

    public async Task<string?> FindProblemAsync(CancellationToken cancellationToken)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested) return "stopping";
        foreach (var contributor in _contributors)
            if (contributor.Problem is { } problem) return problem;

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(PingTimeout);
        try
        {
            await store.PingAsync(timeout.Token);
            return null;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            log.StorePingFailed("timed out");
            return $"store did not answer within {PingTimeout.TotalSeconds:0} s";
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            log.StorePingFailed(ex.GetType().Name);
            return $"store unreachable: {ex.Message}";
        }
    }
}

/// <summary>A part of the process that can say it is not ready yet (null when it is).</summary>
public interface IReadinessContributor
{
    string? Problem { get; }
}
