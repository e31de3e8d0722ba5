using Conversations.Gateway.Webhooks;
using Conversations.Storage;
using Conversations.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Conversations.Gateway.Tests.Support;

/// <summary>A started gateway with a scripted store, a gated cluster client and a test Chatwoot handler.</summary>
public sealed class Harness : IAsyncDisposable
{
    private Harness(GatewayHost host, ScriptedStore store, GatedClusterClient cluster, TestWebhookHandler handler)
    {
        Host = host;
        Store = store;
        Cluster = cluster;
        Handler = handler;
    }

    public GatewayHost Host { get; }
    public HttpClient Http => Host.Http;
    public ScriptedStore Store { get; }
    public GatedClusterClient Cluster { get; }
    public TestWebhookHandler Handler { get; }

    public static async Task<Harness> StartAsync(
        Action<Dictionary<string, string?>>? configure = null,
        Action<IServiceCollection>? services = null,
        params PlatformKind[] platforms)
    {
        var settings = GatewayHost.DefaultSettings();
        configure?.Invoke(settings);
        var store = new ScriptedStore();
        var cluster = new GatedClusterClient(store);
        if (platforms.Length == 0) platforms = [PlatformKind.Chatwoot];
        var handlers = platforms.Select(p => new TestWebhookHandler(p)).ToList();
        var host = await GatewayHost.StartAsync(settings, s =>
        {
            s.AddSingleton<IConversationStore>(store);
            s.AddSingleton<IClusterClient>(cluster);
            // Only the test handlers: the real platform handlers have their own tests.
            s.RemoveAll<IWebhookHandler>();
            foreach (var handler in handlers) s.AddSingleton<IWebhookHandler>(handler);
            services?.Invoke(s);
        });
        return new Harness(host, store, cluster, handlers[0]);
    }

    public static StringContent Events(params (string Conversation, string Id, string Text)[] events) =>
        new(System.Text.Json.JsonSerializer.Serialize(new
        {
            events = events.Select(e => new { conversation = e.Conversation, id = e.Id, text = e.Text }),
        }), System.Text.Encoding.UTF8, "application/json");

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
