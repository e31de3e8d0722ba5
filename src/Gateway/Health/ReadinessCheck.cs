using Conversations.Runtime;
using Conversations.Runtime.Store;
using Microsoft.Extensions.DependencyInjection;
using Conversations.Gateway.Hosting;
using Microsoft.Extensions.Hosting;

namespace Conversations.Gateway.Health;

/// <summary>
/// Ready means a webhook would be stored now: the process is not stopping, the store answers, and
/// (inside a silo) the runtime is running. Returns the reason it is not, or null.
/// </summary>
internal sealed class ReadinessCheck(
    IConversationStore store,
    IHostApplicationLifetime lifetime,
    IServiceProvider services,
    GatewayLog log)
{
    private static readonly TimeSpan PingTimeout = TimeSpan.FromSeconds(5);

    // Optional: a standalone gateway has no runtime of its own.
    private readonly IConversationRuntime? _runtime = services.GetService<IConversationRuntime>();

    public async Task<string?> FindProblemAsync(CancellationToken cancellationToken)
    {
        if (lifetime.ApplicationStopping.IsCancellationRequested) return "stopping";
        if (_runtime is { IsRunning: false }) return "runtime not running";

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
