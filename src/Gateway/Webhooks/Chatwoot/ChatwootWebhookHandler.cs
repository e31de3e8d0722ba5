using System.Text.Json;
using Conversations.Platforms;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Conversations.Gateway.Webhooks.Chatwoot;

/// <summary>
/// POST /webhooks/chatwoot/{tenant}: proves the request (signature or URL token; 401), parses it
/// (400 when it is not a Chatwoot event), classifies it and addresses it to conversation
/// "{accountId}:{displayId}". Unknown event types and events about no conversation are accepted and ignored.
/// </summary>
public sealed partial class ChatwootWebhookHandler(ChatwootInboxAccounts inboxAccounts, ILogger<ChatwootWebhookHandler> logger) : IWebhookHandler
{
    public PlatformKind Platform => PlatformKind.Chatwoot;

    public WebhookVerdict? Screen(WebhookRequestHead request, TenantOptions tenant)
    {
        if (!HttpMethods.IsPost(request.Method)) return WebhookVerdict.Reject(StatusCodes.Status405MethodNotAllowed, "Chatwoot webhooks are POST");
        return ChatwootSignature.VerifyHead(request.Query, request.Headers, request.ReceivedAt, tenant) is { } problem
            ? WebhookVerdict.Reject(StatusCodes.Status401Unauthorized, problem)
            : null;
    }

    public async ValueTask<WebhookVerdict> HandleAsync(WebhookRequest request, TenantOptions tenant, CancellationToken cancellationToken)
    {
        if (!HttpMethods.IsPost(request.Method)) return WebhookVerdict.Reject(StatusCodes.Status405MethodNotAllowed, "Chatwoot webhooks are POST");
        if (ChatwootSignature.Verify(request, tenant) is { } problem) return WebhookVerdict.Reject(StatusCodes.Status401Unauthorized, problem);

        if (MalformedInput.Utf8Problem(request.Body.Span) is { } utf8) return WebhookVerdict.Reject(StatusCodes.Status400BadRequest, utf8);
        JsonDocument document;
        try { document = JsonDocument.Parse(request.Body); }
        catch (JsonException) { return WebhookVerdict.Reject(StatusCodes.Status400BadRequest, "malformed JSON"); }
        using (document)
        {
            try { return await ReadAsync(request, tenant, document.RootElement, cancellationToken); }
            catch (Exception ex) when (MalformedInput.IsUnreadableText(ex)) { return WebhookVerdict.Reject(StatusCodes.Status400BadRequest, MalformedInput.UnreadableText); }
        }
    }

    private async ValueTask<WebhookVerdict> ReadAsync(WebhookRequest request, TenantOptions tenant, JsonElement root, CancellationToken cancellationToken)
    {
        {
            if (root.ValueKind != JsonValueKind.Object) return WebhookVerdict.Reject(StatusCodes.Status400BadRequest, "a Chatwoot event is a JSON object");
            if (root.Text("event") is not { Length: > 0 } eventType) return WebhookVerdict.Reject(StatusCodes.Status400BadRequest, "missing \"event\"");
            if (!ChatwootEventReader.KnownEvents.Contains(eventType))
            {
                LogIgnored(tenant.Id, eventType, "unknown event type");
                return WebhookVerdict.Ignored;
            }

            // Not X-Chatwoot-Delivery: the signature does not cover it (a replay could carry any); the reader keys on the body.
            var read = ChatwootEventReader.Read(root, eventType, tenant, request.Body, request.ReceivedAt);
            if (read is null)
            {
                LogIgnored(tenant.Id, eventType, "no conversation");
                return WebhookVerdict.Ignored;
            }

            // Ids become API paths on the tenant's host (/api/v1/accounts/{a}/conversations/{c}) and the conversation key
            // "{a}:{c}": anything but digits (".", "..", "7:1") could reach another path or another conversation.
            if (BadId(read.AccountId, read.DisplayId, read.InboxId) is { } field)
            {
                LogBadId(tenant.Id, eventType, field);
                return WebhookVerdict.Ignored;
            }

            var accountId = read.AccountId;
            if (read.InboxId is { } inboxId)
            {
                if (accountId is not null) await inboxAccounts.RememberAsync(tenant.Id, inboxId, accountId, cancellationToken);
                else accountId = await inboxAccounts.FindAsync(tenant.Id, inboxId, cancellationToken);
            }
            if (accountId is not null && !IsId(accountId))
            {
                // Remembered before ids were checked: never address a conversation with it.
                LogBadId(tenant.Id, eventType, "remembered account id");
                return WebhookVerdict.Ignored;
            }
            if (accountId is null)
            {
                LogNoAccount(tenant.Id, eventType, read.InboxId);
                return WebhookVerdict.Ignored;
            }

            var e = read.Event.Data.ContainsKey(ChatwootKeys.AccountId)
                ? read.Event
                : read.Event with { Data = new Dictionary<string, string>(read.Event.Data) { [ChatwootKeys.AccountId] = accountId } };
            var key = new ConversationKey(tenant.Id, ChatwootKeys.ConversationKeyId(accountId, read.DisplayId));
            var message = new NewInboxMessage(read.DedupeKey, "chatwoot." + eventType, ConversationEventJson.Serialize(e));
            return WebhookVerdict.Accept([new WebhookDelivery(key, message)]);
        }
    }

    /// <summary>Chatwoot ids are integers: 1 to 19 ASCII digits.</summary>
    internal static bool IsId(string? id) => id is { Length: > 0 and <= 19 } && id.AsSpan().IndexOfAnyExceptInRange('0', '9') < 0;

    private static string? BadId(string? accountId, string displayId, string? inboxId) =>
        accountId is not null && !IsId(accountId) ? "account id"
        : !IsId(displayId) ? "conversation id"
        : inboxId is not null && !IsId(inboxId) ? "inbox id"
        : null;

    [LoggerMessage(LogLevel.Warning, "Chatwoot {EventType} for {Tenant} ignored: its {Field} is not a number (Chatwoot ids are digits); nothing stored")]
    private partial void LogBadId(string tenant, string eventType, string field);

    [LoggerMessage(LogLevel.Debug, "Chatwoot webhook for {Tenant} ignored ({EventType}): {Why}")]
    private partial void LogIgnored(string tenant, string eventType, string why);

    [LoggerMessage(LogLevel.Warning, "Chatwoot {EventType} for {Tenant} ignored: no account known for inbox {InboxId} yet (learned from message events)")]
    private partial void LogNoAccount(string tenant, string eventType, string? inboxId);
}
