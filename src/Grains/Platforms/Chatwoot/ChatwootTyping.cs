using System.Collections.Concurrent;
using System.Net;
using Microsoft.Extensions.Logging;

namespace Conversations.Grains.Platforms.Chatwoot;

/// <summary>
/// The typing indicator, best effort. Chatwoot before PR #13705 refuses bot tokens on
/// toggle_typing_status (401, or 404 on older routes): the first refusal turns typing off for that account of
/// the tenant (a global-bot tenant serves many accounts, possibly on different versions or permissions).
/// </summary>
public sealed partial class ChatwootTyping(ChatwootClient client, TimeProvider time, ILogger<ChatwootTyping> logger)
{
    /// <summary>After a typing call timed out, the tenant gets no typing indicator for this long (a slow API should not be hit twice per turn).</summary>
    public static readonly TimeSpan PauseAfterTimeout = TimeSpan.FromMinutes(1);

    private readonly ConcurrentDictionary<(string Tenant, string Account), DateTimeOffset> _pausedUntil = new();

    /// <summary>A typing indicator is worth little: never let it hold a turn longer than this.</summary>
    public static readonly TimeSpan MaxWait = TimeSpan.FromSeconds(2);

    private readonly ConcurrentDictionary<(string Tenant, string Account), bool> _unsupported = new();

    /// <summary>Whether typing is off for this account of the tenant (its API refused the indicator).</summary>
    public bool IsDisabled(string tenant, string accountId) => _unsupported.ContainsKey((tenant, accountId));

    public async ValueTask SetAsync(TenantOptions tenant, string accountId, string conversationId, bool on, CancellationToken cancellationToken)
    {
        var account = (tenant.Id, accountId);
        if (_unsupported.ContainsKey(account)) return;
        if (_pausedUntil.TryGetValue(account, out var until) && time.GetUtcNow() < until) return;
        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(MaxWait);
        try
        {
            using var response = await client.ToggleTypingAsync(tenant, accountId, conversationId, on, bounded.Token);
            if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.NotFound or HttpStatusCode.Forbidden)
            {
                if (_unsupported.TryAdd(account, true)) LogUnsupported(tenant.Id, accountId, (int)response.StatusCode);
            }
        }
        catch (Exception ex) when (ex is HttpRequestException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException
                                   || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            if (ex is OperationCanceledException or Polly.Timeout.TimeoutRejectedException) _pausedUntil[account] = time.GetUtcNow() + PauseAfterTimeout;
            LogFailed(tenant.Id, ex.Message);
        }
    }

    [LoggerMessage(LogLevel.Information, "Chatwoot refused the typing indicator for tenant {Tenant} account {AccountId} (HTTP {Status}); not trying again for this account.")]
    private partial void LogUnsupported(string tenant, string accountId, int status);

    [LoggerMessage(LogLevel.Debug, "Typing indicator for tenant {Tenant} failed: {Error}")]
    private partial void LogFailed(string tenant, string error);
}
