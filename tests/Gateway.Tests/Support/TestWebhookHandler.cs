using System.Text;
using System.Text.Json;
using Conversations.Gateway.Webhooks;
using Microsoft.AspNetCore.Http;

namespace Conversations.Gateway.Tests.Support;

/// <summary>
/// A minimal platform handler for gateway tests. POST body: <c>{"events":[{"conversation":"1:2","id":"m1","text":"hi"}]}</c>
/// (malformed JSON throws JsonException, as a careless handler would). GET <c>?challenge=x</c> answers x.
/// Header <c>X-Test-Reject: 401</c> rejects; <c>X-Test-Throw: bug|timeout</c> makes it fail with a non-input exception;
/// <c>X-Test-Wait: 5000</c> makes it take that many milliseconds first (as a slow store read would, cancellable);
/// <c>X-Test-Wait-Uncancellable: 1500</c> the same without looking at the cancellation (then it answers its deliveries).
/// </summary>
public sealed class TestWebhookHandler(PlatformKind platform) : IWebhookHandler
{
    public PlatformKind Platform { get; } = platform;
    public int Calls { get; private set; }
    public int LastBodyLength { get; private set; }

    public async ValueTask<WebhookVerdict> HandleAsync(WebhookRequest request, TenantOptions tenant, CancellationToken cancellationToken)
    {
        if (request.Headers.TryGetValue("X-Test-Wait", out var wait))
            await Task.Delay(int.Parse(wait.ToString(), System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
        if (request.Headers.TryGetValue("X-Test-Wait-Uncancellable", out var stubborn))
            await Task.Delay(int.Parse(stubborn.ToString(), System.Globalization.CultureInfo.InvariantCulture), CancellationToken.None);
        return Handle(request, tenant);
    }

    private WebhookVerdict Handle(WebhookRequest request, TenantOptions tenant)
    {
        Calls++;
        LastBodyLength = request.Body.Length;
        if (request.Headers.TryGetValue("X-Test-Reject", out var status))
            return WebhookVerdict.Reject(int.Parse(status.ToString(), System.Globalization.CultureInfo.InvariantCulture), "rejected by test handler");
        if (request.Headers.TryGetValue("X-Test-Throw", out var kind))
            throw kind.ToString() == "timeout" ? new OperationCanceledException("handler's own timeout") : new InvalidOperationException("handler bug");
        if (request.Method == HttpMethods.Get)
            return WebhookVerdict.Text(request.Query["challenge"].ToString());

        using var document = JsonDocument.Parse(request.Body);
        var deliveries = new List<WebhookDelivery>();
        foreach (var item in document.RootElement.GetProperty("events").EnumerateArray())
        {
            var id = item.GetProperty("id").GetString()!;
            var body = Encoding.UTF8.GetBytes(item.GetProperty("text").GetString() ?? "");
            deliveries.Add(new WebhookDelivery(
                new ConversationKey(item.TryGetProperty("tenant", out var t) ? t.GetString()! : tenant.Id, item.GetProperty("conversation").GetString()!),
                new NewInboxMessage(id, "test.message", body)));
        }
        return WebhookVerdict.Accept(deliveries);
    }
}
