using System.Text.Json;
using Conversations.Gateway.Webhooks;

namespace Conversations.Bench.Postgres;

/// <summary>
/// The ingest scenarios' webhook: minimal JSON (conversation id + message id), so the numbers are
/// the gateway and store path, not a platform's parsing.
/// </summary>
internal sealed class JsonWebhookHandler : IWebhookHandler
{
    public PlatformKind Platform => PlatformKind.Chatwoot;

    public ValueTask<WebhookVerdict> HandleAsync(WebhookRequest request, TenantOptions tenant, CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(request.Body);
        var key = new ConversationKey(tenant.Id, document.RootElement.GetProperty("conversation").GetString()!);
        var message = new NewInboxMessage(document.RootElement.GetProperty("id").GetString()!, "bench.message", request.Body.ToArray());
        return ValueTask.FromResult(WebhookVerdict.Accept([new WebhookDelivery(key, message)]));
    }
}
