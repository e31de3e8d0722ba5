using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;

namespace Conversations.Grains.Platforms.Chatwoot;

/// <summary>
/// The typing indicator, best effort. Chatwoot before PR #13705 refuses bot tokens on
/// toggle_typing_status (401, or 404 on older routes): the first refusal turns typing off for that tenant.
/// </summary>
public sealed partial class ChatwootTyping(ChatwootClient client, TimeProvider time, ILogger<ChatwootTyping> logger)
{
    /// <summary>After a typing call timed out, the tenant gets no typing indicator for this long (a slow API should not be hit twice per turn).</summary>
    public static readonly TimeSpan PauseAfterTimeout = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _pausedUntil = new(StringComparer.Ordinal);

    /// <summary>A typing indicator is worth little: never let it hold a turn longer than this.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<string, bool> _unsupported = new(StringComparer.Ordinal);

    public bool IsDisabled(string tenant) => _unsupported.ContainsKey(tenant);

    public async ValueTask SetAsync(TenantOptions tenant, string accountId, string conversationId, bool on, CancellationToken cancellationToken)
    {
        if (_unsupported.ContainsKey(tenant.Id)) return;
        if (_pausedUntil.TryGetValue(tenant.Id, out var until) && time.GetUtcNow() < until) return;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(MaxWait);
        try
        {
            using var response = await client.ToggleTypingAsync(tenant, accountId, conversationId, on, bounded.Token);
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
            {
                if (_unsupported.TryAdd(tenant.Id, true)) LogUnsupported(tenant.Id, (int)response.StatusCode);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException
                                   || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            if (ex is OperationCanceledException or Polly.Timeout.TimeoutRejectedException) _pausedUntil[tenant.Id] = time.GetUtcNow() + PauseAfterTimeout;
            LogFailed(tenant.Id, ex.Message);
        }
    }

    [LoggerMessage(LogLevel.Information, "Chatwoot refused the typing indicator for tenant {Tenant} (HTTP {Status}); not trying again for this tenant.")]
    private partial void LogUnsupported(string tenant, int status);

    [LoggerMessage(LogLevel.Debug, "Typing indicator for tenant {Tenant} failed: {Error}")]
    private partial void LogFailed(string tenant, string error);
}
