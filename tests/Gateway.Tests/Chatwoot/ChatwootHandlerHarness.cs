using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conversations.Gateway.Webhooks;
using Conversations.Gateway.Webhooks.Chatwoot;
using Conversations.Storage;
using Conversations.Storage.Memory;
using Conversations.TestSupport;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Conversations.Gateway.Tests.Chatwoot;

/// <summary>The handler over a Memory store, with helpers to load fixtures and sign requests.</summary>
public sealed class ChatwootHandlerHarness
{
    public const string Secret = "cwBotSecret7xQ2mN9pL4vR8kT3";
    public static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeSeconds(1773147732);

    public ChatwootHandlerHarness(Action<TenantOptions>? configure = null)
    {
        Tenant = new TenantOptions { Id = "acme", Platform = PlatformKind.Chatwoot, WebhookSecret = Secret, BaseUrl = "http://127.0.0.1:1" };
        configure?.Invoke(Tenant);
        Store = new MemoryConversationStore(Options.Create(new StoreOptions()), new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Now));
        Handler = new ChatwootWebhookHandler(new ChatwootInboxAccounts(Store), NullLogger<ChatwootWebhookHandler>.Instance);
    }

    public TenantOptions Tenant { get; }
    public IConversationStore Store { get; }
    public ChatwootWebhookHandler Handler { get; }

    public static byte[] Fixture(string name) => File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Chatwoot", "Fixtures", name + ".json"));

    public static JsonObject FixtureJson(string name) => JsonNode.Parse(Fixture(name))!.AsObject();

    public static byte[] Bytes(JsonNode node) => Encoding.UTF8.GetBytes(node.ToJsonString());

    public Task<WebhookVerdict> SignedAsync(byte[] body, long? timestamp = null, string? delivery = null, string? signature = null)
    {
        var ts = timestamp ?? Now.ToUnixTimeSeconds();
        var headers = new HeaderDictionary
        {
            [ChatwootSignature.TimestampHeader] = ts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [ChatwootSignature.SignatureHeader] = signature ?? ChatwootSignature.Sign(Secret, ts, body),
        };
        if (delivery is not null) headers[ChatwootSignature.DeliveryHeader] = delivery;
        return SendAsync(body, headers);
    }

    public async Task<WebhookVerdict> SendAsync(byte[] body, IHeaderDictionary? headers = null, string? token = null, string method = "POST")
    {
        var query = new QueryCollection(token is null ? [] : new Dictionary<string, StringValues> { ["token"] = token });
        return await Handler.HandleAsync(new WebhookRequest(method, query, headers ?? new HeaderDictionary(), body, Now), Tenant, CancellationToken.None);
    }

    public static ConversationEvent Event(WebhookVerdict verdict) =>
        ConversationEventJson.Deserialize(Assert.Single(verdict.Deliveries).Message.Body.Span);
}
