using System.Text.Json;
using Conversations.Gateway.Webhooks;

namespace Conversations.Silo.Tests.Support;

/// <summary>A Chatwoot-platform handler for composition tests: body <c>{"conversation":"1:2","id":"m1"}</c> is one event.</summary>
public sealed class OneEventHandler : IWebhookHandler
{
    public PlatformKind Platform => PlatformKind.Chatwoot;

    public ValueTask<WebhookVerdict> HandleAsync(WebhookRequest request, TenantOptions tenant, CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(request.Body);
        var root = document.RootElement;
        var key = new ConversationKey(tenant.Id, root.GetProperty("conversation").GetString()!);
        var message = new NewInboxMessage(root.GetProperty("id").GetString()!, "test.message", request.Body.ToArray());
        return ValueTask.FromResult(WebhookVerdict.Accept([new WebhookDelivery(key, message)]));
    }
}
