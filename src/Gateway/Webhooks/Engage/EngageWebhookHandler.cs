using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Conversations.Gateway.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Conversations.Gateway.Webhooks.Engage;

/// <summary>
/// Engage Digital ingress (Engage's webhook API and bot guide). GET is the PubSubHubbub-style handshake; POST
/// carries a batch of events authenticated by the plain shared secret in <c>X-Dimelo-Secret</c>.
/// Every event of the batch is classified, ordered by <c>issued_at</c> and stored under its event
/// id; nothing here calls Engage.
/// </summary>
public sealed partial class EngageWebhookHandler(ILogger<EngageWebhookHandler> logger) : IWebhookHandler
{
    public const string SecretHeader = "X-Dimelo-Secret";

    public PlatformKind Platform => PlatformKind.Engage;

    /// <summary>Both proofs are whole before the body: the handshake's query string, the events' plain secret header.</summary>
    public WebhookVerdict? Screen(WebhookRequestHead request, TenantOptions tenant) =>
        HttpMethods.IsPost(request.Method) ? SecretProblem(request.Headers, tenant)
        : HttpMethods.IsGet(request.Method) ? HandshakeProblem(request.Query, request.Headers, tenant)
        : MethodNotAllowed;

    public ValueTask<WebhookVerdict> HandleAsync(WebhookRequest request, TenantOptions tenant, CancellationToken cancellationToken)
    {
        var verdict = request.Method.ToUpperInvariant() switch
        {
            "GET" => Handshake(request, tenant),
            "POST" => Events(request, tenant),
            _ => MethodNotAllowed,
        };
        return ValueTask.FromResult(verdict);
    }

    private static WebhookVerdict MethodNotAllowed => WebhookVerdict.Reject(StatusCodes.Status405MethodNotAllowed, "Engage webhooks are GET (handshake) or POST (events).");

    private WebhookVerdict Handshake(WebhookRequest request, TenantOptions tenant)
    {
        if (HandshakeProblem(request.Query, request.Headers, tenant) is { } problem) return problem;
        LogHandshakeAccepted(logger, tenant.Id);
        return WebhookVerdict.Text(request.Query["hub.challenge"].ToString());
    }

    private WebhookVerdict? HandshakeProblem(IQueryCollection query, IHeaderDictionary headers, TenantOptions tenant)
    {
        var mode = query["hub.mode"].ToString();
        var token = query["hub.verify_token"].ToString();
        var challenge = query["hub.challenge"].ToString();
        if (mode != "subscribe" || string.IsNullOrEmpty(challenge) || string.IsNullOrEmpty(token))
        {
            LogHandshakeRefused(logger, tenant.Id, "missing parameter or hub.mode is not subscribe");
            return WebhookVerdict.Reject(StatusCodes.Status400BadRequest, "Expected hub.mode=subscribe with hub.verify_token and hub.challenge.");
        }
        if (!Secrets.Same(token, tenant.VerifyToken))
        {
            LogHandshakeRefused(logger, tenant.Id, "verify token mismatch");
            return WebhookVerdict.Reject(StatusCodes.Status401Unauthorized, "hub.verify_token does not match.");
        }
        // Engage sends the secret on the validation request too; a wrong one is refused, a missing one tolerated.
        if (headers.TryGetValue(SecretHeader, out var secret) && !Secrets.Same(secret.ToString(), tenant.WebhookSecret))
        {
            LogHandshakeRefused(logger, tenant.Id, "X-Dimelo-Secret mismatch");
            return WebhookVerdict.Reject(StatusCodes.Status401Unauthorized, "X-Dimelo-Secret does not match.");
        }
        return null;
    }

    private WebhookVerdict? SecretProblem(IHeaderDictionary headers, TenantOptions tenant)
    {
        if (headers.TryGetValue(SecretHeader, out var secret) && Secrets.Same(secret.ToString(), tenant.WebhookSecret)) return null;
        LogSecretRefused(logger, tenant.Id, string.IsNullOrEmpty(tenant.WebhookSecret) ? "not configured for the tenant (set WebhookSecret)" : secret.Count == 0 ? "missing" : "wrong");
        return WebhookVerdict.Reject(StatusCodes.Status401Unauthorized, "X-Dimelo-Secret is missing or wrong.");
    }

    private WebhookVerdict Events(WebhookRequest request, TenantOptions tenant)
    {
        if (SecretProblem(request.Headers, tenant) is { } refused) return refused;
        if (MalformedInput.Utf8Problem(request.Body.Span) is { } utf8)
        {
            LogMalformed(logger, tenant.Id, utf8);
            return WebhookVerdict.Reject(StatusCodes.Status400BadRequest, utf8);
        }
        try { return ReadEvents(request, tenant); }
        catch (Exception ex) when (MalformedInput.IsUnreadableText(ex))
        {
            LogMalformed(logger, tenant.Id, MalformedInput.UnreadableText);
            return WebhookVerdict.Reject(StatusCodes.Status400BadRequest, MalformedInput.UnreadableText);
        }
    }

    private WebhookVerdict ReadEvents(WebhookRequest request, TenantOptions tenant)
    {
        EngageEnvelope envelope;
        try
        {
            envelope = EngageEnvelope.Parse(request.Body);
        }
        catch (JsonException ex)
        {
            LogMalformed(logger, tenant.Id, ex.Message);
            // The parser's message quotes the body; it goes to the log only, never back to the sender.
            return WebhookVerdict.Reject(StatusCodes.Status400BadRequest, "Malformed JSON.");
        }

        var deliveries = new List<WebhookDelivery>();
        var seen = new HashSet<(ConversationKey, string)>();
        // Engage does not guarantee order within a batch or across retries; issued_at does (stable for ties).
        foreach (var e in envelope.Events.OrderBy(e => e.IssuedAt ?? request.ReceivedAt).ThenBy(e => e.Index))
        {
            var classified = EngageEventClassifier.Classify(e, tenant, request.ReceivedAt, envelope.Id, out var reason);
            if (classified is null)
            {
                if (reason.StartsWith(EngageEventClassifier.BadIdReason, StringComparison.Ordinal)) LogBadId(logger, tenant.Id, e.Type ?? "?", reason);
                else LogIgnored(logger, tenant.Id, e.Type ?? "?", e.Id ?? "?", reason);
                continue;
            }
            if (!seen.Add((classified.Key, classified.DedupeKey))) continue;
            var body = ConversationEventJson.Serialize(classified.Event);
            deliveries.Add(new WebhookDelivery(classified.Key, new NewInboxMessage(classified.DedupeKey, "engage." + classified.Event.Type, body)));
        }
        LogBatch(logger, tenant.Id, envelope.Id ?? "?", envelope.Events.Count, deliveries.Count);
        return deliveries.Count == 0 ? WebhookVerdict.Ignored : WebhookVerdict.Accept(deliveries);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engage handshake refused for tenant {Tenant}: {Reason}")]
    private static partial void LogHandshakeRefused(ILogger logger, string tenant, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Engage handshake accepted for tenant {Tenant}")]
    private static partial void LogHandshakeAccepted(ILogger logger, string tenant);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engage webhook for tenant {Tenant} refused: X-Dimelo-Secret {Problem}")]
    private static partial void LogSecretRefused(ILogger logger, string tenant, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engage webhook for tenant {Tenant} is not valid JSON: {Error}")]
    private static partial void LogMalformed(ILogger logger, string tenant, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engage event {Type} for tenant {Tenant} ignored, nothing stored: {Reason}")]
    private static partial void LogBadId(ILogger logger, string tenant, string type, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Engage event {Type} {EventId} for tenant {Tenant} ignored: {Reason}")]
    private static partial void LogIgnored(ILogger logger, string tenant, string type, string eventId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Engage request {RequestId} for tenant {Tenant}: {Events} events, {Stored} to store")]
    private static partial void LogBatch(ILogger logger, string tenant, string requestId, int events, int stored);
}
