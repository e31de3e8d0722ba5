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

    private static Dictionary<string, string?> Settings() => new()
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

    public static Task<(GatewayHost Host, MemoryConversationStore Store)> StartAsync(Action<Dictionary<string, string?>>? configure = null, Action<IServiceCollection>? services = null)
    {
        var settings = Settings();
        configure?.Invoke(settings);
        return StartAsync(settings, services);
    }

    /// <summary>The same host with other settings (tenants included).</summary>
    public static async Task<(GatewayHost Host, MemoryConversationStore Store)> StartAsync(Dictionary<string, string?> settings, Action<IServiceCollection>? services)
    {
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

    /// <summary>An Engage content event for globex's customer.</summary>
    public static byte[] EngageContent() =>
        File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Engage", "Fixtures", "webhook-content-imported-customer.json"));

    /// <summary>A POST to acme signed like Chatwoot signs it, now.</summary>
    public static HttpRequestMessage SignedChatwoot(byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/chatwoot/acme") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        Sign(request, body, ChatwootSecret, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        return request;
    }

    /// <summary>Chatwoot's signature headers over <paramref name="body"/> with <paramref name="secret"/>, dated <paramref name="timestamp"/>.</summary>
    public static void Sign(HttpRequestMessage request, byte[] body, string secret, long timestamp)
    {
        request.Headers.TryAddWithoutValidation(ChatwootSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.TryAddWithoutValidation(ChatwootSignature.SignatureHeader, ChatwootSignature.Sign(secret, timestamp, body));
    }

    /// <summary>A POST to globex with Engage's secret header.</summary>
    public static HttpRequestMessage EngagePost(byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/engage/globex") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(EngageWebhookHandler.SecretHeader, EngageSecret);
        return request;
    }

    /// <summary>Signature headers that look right to everything but the HMAC over the body (a fresh timestamp, a well-formed digest).</summary>
    public static KeyValuePair<string, string>[] PlausibleSignature() =>
    [
        new(ChatwootSignature.TimestampHeader, DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture)),
        new(ChatwootSignature.SignatureHeader, "sha256=" + new string('a', 64)),
    ];
}
