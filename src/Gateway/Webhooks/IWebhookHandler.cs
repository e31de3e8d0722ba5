using Microsoft.AspNetCore.Http;

namespace Conversations.Gateway.Webhooks;

/// <summary>
/// One platform's ingress: authenticates a webhook request for a tenant and turns it into
/// normalized events, each addressed to its conversation. The gateway does the rest (tenant lookup,
/// body limit, append, status codes).
/// </summary>
public interface IWebhookHandler
{
    PlatformKind Platform { get; }

    /// <summary>
    /// What can be refused before the body is read (a missing or stale signature header, a missing or wrong
    /// secret or token): a refusal here costs the sender's body nothing of the gateway's memory. Null reads
    /// the body and calls <see cref="HandleAsync"/>, which must check everything again.
    /// </summary>
    WebhookVerdict? Screen(WebhookRequestHead request, TenantOptions tenant) => null;

    ValueTask<WebhookVerdict> HandleAsync(WebhookRequest request, TenantOptions tenant, CancellationToken cancellationToken);
}

/// <summary>The request before its body: method, query string, headers and when it arrived.</summary>
public sealed record WebhookRequestHead(string Method, IQueryCollection Query, IHeaderDictionary Headers, DateTimeOffset ReceivedAt);

/// <summary>The parts of the HTTP request a handler needs. <see cref="Body"/> is the raw bytes (signatures are over them).</summary>
public sealed record WebhookRequest(string Method, IQueryCollection Query, IHeaderDictionary Headers, ReadOnlyMemory<byte> Body, DateTimeOffset ReceivedAt);

/// <summary>One event to append to one conversation's inbox.</summary>
public sealed record WebhookDelivery(ConversationKey Key, NewInboxMessage Message);

/// <summary>
/// What to answer and what to store. The gateway appends <see cref="Deliveries"/> first and answers
/// <see cref="StatusCode"/> only after they committed (500 when they could not be stored).
/// </summary>
public sealed record WebhookVerdict(int StatusCode, IReadOnlyList<WebhookDelivery> Deliveries, string? ResponseText = null, string? Error = null)
{
    public static WebhookVerdict Accept(IReadOnlyList<WebhookDelivery> deliveries) => new(StatusCodes.Status200OK, deliveries);
    public static WebhookVerdict Ignored => new(StatusCodes.Status200OK, []);
    public static WebhookVerdict Reject(int statusCode, string error) => new(statusCode, [], null, error);
    public static WebhookVerdict Text(string text) => new(StatusCodes.Status200OK, [], text);
}
