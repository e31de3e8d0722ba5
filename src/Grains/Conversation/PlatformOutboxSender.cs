using System.Text.Json;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Conversations.Grains.Conversation;

/// <summary>
/// The runtime's <see cref="IOutboxSender"/>: sends each committed action through its tenant's
/// platform sender, once. Network failures and timeouts are worth a retry; the relay owns retries,
/// backoff and parking.
/// </summary>
public sealed partial class PlatformOutboxSender(TenantCatalog tenants, PlatformConversations platforms, ILogger<PlatformOutboxSender> logger) : IOutboxSender
{
    public async ValueTask<SendOutcome> SendAsync(ConversationKey key, OutboxMessage message, CancellationToken cancellationToken)
    {
        var tenant = tenants.Find(key.Tenant);
        if (tenant is null) return SendOutcome.Failed($"unknown tenant '{key.Tenant}'");
        var sender = platforms.FindSender(tenant.Platform);
        if (sender is null) return SendOutcome.Failed($"no action sender for platform {tenant.Platform}");
        SendOutcome outcome;
        try
        {
            outcome = await sender.SendAsync(tenant, key, message, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            outcome = SendOutcome.Retry($"network: {ex.Message}");
        }
        catch (TimeoutRejectedException)
        {
            outcome = SendOutcome.Retry("timeout");
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            outcome = SendOutcome.Retry("timeout");
        }
        catch (BrokenCircuitException ex)
        {
            outcome = SendOutcome.Retry("circuit open", ex.RetryAfter);
        }
        catch (JsonException ex)
        {
            outcome = SendOutcome.Failed($"unreadable action payload: {ex.Message}");
        }
        if (outcome.Kind == SendResult.Permanent) LogPermanent(key, message.Id, message.Kind, outcome.Error);
        else if (outcome.Kind == SendResult.RetryLater) LogRetry(key, message.Id, message.Kind, outcome.Error);
        return outcome;
    }

    [LoggerMessage(LogLevel.Warning, "Action {OutboxId} ({Kind}) of {Key} failed permanently: {Error}")]
    private partial void LogPermanent(ConversationKey key, long outboxId, string kind, string? error);

    [LoggerMessage(LogLevel.Information, "Action {OutboxId} ({Kind}) of {Key} will be retried: {Error}")]
    private partial void LogRetry(ConversationKey key, long outboxId, string kind, string? error);
}
