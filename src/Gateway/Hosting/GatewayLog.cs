using Microsoft.Extensions.Logging;

namespace Conversations.Gateway.Hosting;

/// <summary>Everything the gateway logs. Never request bodies, tokens or signatures.</summary>
public sealed partial class GatewayLog(ILoggerFactory loggerFactory)
{
    private readonly ILogger _logger = loggerFactory.CreateLogger("Conversations.Gateway");

    [LoggerMessage(1, LogLevel.Information, "Webhook {Platform}/{Tenant} rejected with {StatusCode}: {Reason}")]
    public partial void WebhookRejected(string platform, string tenant, int statusCode, string reason);

    [LoggerMessage(2, LogLevel.Warning, "Webhook {Platform}/{Tenant} refused: body over the {Limit}-byte limit")]
    public partial void WebhookTooLarge(string platform, string tenant, long limit);

    [LoggerMessage(3, LogLevel.Debug, "Webhook {Platform}/{Tenant} answered {StatusCode}: {Accepted} appended, {Duplicates} duplicates, {Conversations} conversations")]
    public partial void WebhookStored(string platform, string tenant, int statusCode, int accepted, int duplicates, int conversations);

    [LoggerMessage(4, LogLevel.Warning, "Webhook {Platform}/{Tenant} malformed ({ExceptionType}); answered 400")]
    public partial void WebhookMalformed(string platform, string tenant, string exceptionType);

    [LoggerMessage(5, LogLevel.Error, "Webhook handler for {Platform}/{Tenant} failed; answered 500 so the platform retries")]
    public partial void HandlerFailed(Exception exception, string platform, string tenant);

    [LoggerMessage(6, LogLevel.Error, "Could not store webhook events for {Conversation}; answered 500 so the platform retries")]
    public partial void AppendFailed(Exception exception, ConversationKey conversation);

    [LoggerMessage(7, LogLevel.Information, "Webhook {Platform}/{Tenant} refused with 500 (retry elsewhere or later): the process is stopping")]
    public partial void WebhookWhileStopping(string platform, string tenant);

    [LoggerMessage(8, LogLevel.Debug, "Webhook {Platform}/{Tenant}: the client went away before the answer")]
    public partial void ClientDisconnected(string platform, string tenant);

    [LoggerMessage(9, LogLevel.Warning, "Readiness: store ping failed ({Reason})")]
    public partial void StorePingFailed(string reason);

    [LoggerMessage(10, LogLevel.Warning, "Admin request to {Path} refused: {Reason}")]
    public partial void AdminRefused(string path, string reason);

    [LoggerMessage(11, LogLevel.Debug, "Wake of {Conversation} skipped ({Reason}); the re-drive will find its events")]
    public partial void WakeSkipped(ConversationKey conversation, string reason);

    [LoggerMessage(12, LogLevel.Information, "A wake could not be sent ({Error}); the re-drive will find its events")]
    public partial void WakeFailed(string error);

    [LoggerMessage(13, LogLevel.Warning, "Console charts: the inbox lag could not be read ({Error}); shown as unknown until it can")]
    public partial void InboxLagUnavailable(string error);

    [LoggerMessage(14, LogLevel.Information, "Console charts: the inbox lag can be read again")]
    public partial void InboxLagAvailable();

    [LoggerMessage(21, LogLevel.Warning, "Webhook {Platform}/{Tenant} not received and authenticated within the {Deadline} deadline ({Phase}); answered {StatusCode}, nothing stored")]
    public partial void WebhookTimedOut(string platform, string tenant, TimeSpan deadline, string phase, int statusCode);

    [LoggerMessage(22, LogLevel.Debug, "Webhook {Platform}/{Tenant} answered 429: too many webhook requests at once (Conversations:Gateway:Limits)")]
    public partial void WebhookThrottled(string platform, string tenant);
}
