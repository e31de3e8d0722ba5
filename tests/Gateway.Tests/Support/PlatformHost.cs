using Conversations.Gateway.Cluster;
using Conversations.Gateway.Webhooks.Chatwoot;
using Conversations.Gateway.Webhooks.Engage;
using Conversations.Storage;
using Conversations.Storage.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Conversations.Gateway.Tests.Support;

/// <summary>
/// The gateway with the real Chatwoot and Engage handlers over a Memory store, on a real Kestrel at 127.0.0.1.
/// Tenants: <c>acme</c> (Chatwoot, signed), <c>urly</c> (Chatwoot, URL token), <c>globex</c> (Engage).
/// </summary>
public static class PlatformHost
{
    public const string ChatwootSecret = "cw-signing-secret";
    public const string UrlToken = "url-token-42";
    public const string EngageSecret = "engage-webhook-secret";
    public const string VerifyToken = "verify-token";

    public static Dictionary<string, string?> Settings() => new()
    {
        ["Conversations:Tenants:0:Id"] = "acme",
        ["Conversations:Tenants:0:Platform"] = "Chatwoot",
        ["Conversations:Tenants:0:WebhookSecret"] = ChatwootSecret,
        ["Conversations:Tenants:1:Id"] = "urly",
        ["Conversations:Tenants:1:Platform"] = "Chatwoot",
        ["Conversations:Tenants:1:UrlToken"] = UrlToken,
        ["Conversations:Tenants:2:Id"] = "globex",
        ["Conversations:Tenants:2:Platform"] = "Engage",
        ["Conversations:Tenants:2:VerifyToken"] = VerifyToken,
        ["Conversations:Tenants:2:WebhookSecret"] = EngageSecret,
    };

    public static async Task<(GatewayHost Host, MemoryConversationStore Store)> StartAsync(Action<Dictionary<string, string?>>? configure = null, Action<IServiceCollection>? services = null)
    {
        var settings = Settings();
        configure?.Invoke(settings);
        var store = new MemoryConversationStore(Options.Create(new StoreOptions()), TimeProvider.System);
        var host = await GatewayHost.StartAsync(settings, s =>
        {
            s.AddSingleton<IConversationStore>(store);
            s.AddSingleton<IGrainAccess>(new TestGrainAccess(new RecordingGrainFactory()));
            s.AddChatwootWebhooks();
            s.AddEngageWebhooks();
            services?.Invoke(s);
        });
        return (host, store);
    }

    public static byte[] ChatwootFixture(string name = "message_created.incoming_text") =>
        File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Chatwoot", "Fixtures", name + ".json"));

    public static byte[] EngageFixture(string name = "webhook-content-imported-customer") =>
        File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Engage", "Fixtures", name + ".json"));

    /// <summary>A POST to acme signed like Chatwoot signs it, now.</summary>
    public static HttpRequestMessage SignedChatwoot(byte[] body, string tenant = "acme")
    {
        var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/chatwoot/" + tenant) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(ChatwootSignature.TimestampHeader, ts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(ChatwootSignature.SignatureHeader, ChatwootSignature.Sign(ChatwootSecret, ts, body));
        return request;
    }

    /// <summary>A POST to globex with Engage's secret header.</summary>
    public static HttpRequestMessage EngagePost(byte[] body, string secret = EngageSecret)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/engage/globex") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(EngageWebhookHandler.SecretHeader, secret);
        return request;
    }

    /// <summary>Signature headers that look right to everything but the HMAC over the body (a fresh timestamp, a well-formed digest).</summary>
    public static KeyValuePair<string, string>[] PlausibleSignature() =>
    [
        new("X-Chatwoot-Timestamp", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new("X-Chatwoot-Signature", "sha256=" + new string('a', 64)),
    ];
}
