using System.Text;
using System.Text.Json.Nodes;
using Conversations.Gateway.Webhooks;
using Conversations.Gateway.Webhooks.Engage;
using Conversations.TestSupport.Engage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conversations.Gateway.Tests.Engage;

/// <summary>Posts an Engage envelope through the real handler and reads back the normalized events it stored.</summary>
internal static class EngageWebhookTestKit
{
    public const string Secret = "s3cr3t-webhook";
    public const string ThreadId = "65f0a1b2c3d4e5f601234567";

    public static readonly TenantOptions Tenant = new()
    {
        Id = "acme",
        Platform = PlatformKind.Engage,
        BaseUrl = "http://127.0.0.1:1",
        ApiToken = "token",
        VerifyToken = "verify-me",
        WebhookSecret = Secret,
        BotIdentity = EngagePayloads.BotUser,
        Engage = new EngageTenantOptions { BotCategoryId = EngagePayloads.BotCategory, AgentCategoryId = EngagePayloads.AgentCategory },
    };

    public static async Task<IReadOnlyList<ConversationEvent>> StoredAsync(params JsonObject[] events)
    {
        var headers = new HeaderDictionary { ["Content-Type"] = "application/json", [EngageWebhookHandler.SecretHeader] = Secret };
        var body = Encoding.UTF8.GetBytes(EngagePayloads.Envelope(events).ToJsonString());
        var verdict = await new EngageWebhookHandler(NullLogger<EngageWebhookHandler>.Instance)
            .HandleAsync(new WebhookRequest("POST", QueryCollection.Empty, headers, body, DateTimeOffset.UtcNow), Tenant, CancellationToken.None);
        Assert.Equal(200, verdict.StatusCode);
        return [.. verdict.Deliveries.Select(d => ConversationEventJson.Deserialize(d.Message.Body.Span))];
    }
}
