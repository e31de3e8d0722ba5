using Conversations.Gateway.Cluster;
using Conversations.Gateway.Webhooks;
using Conversations.Storage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Conversations.Gateway.Tests.Support;

/// <summary>
/// A started gateway with a scripted store, a recording grain factory (reached through a switchable
/// <see cref="TestGrainAccess"/>) and a test Chatwoot handler.
/// </summary>
public sealed class Harness : IAsyncDisposable
{
    private Harness(GatewayHost host, ScriptedStore store, RecordingGrainFactory grains, TestGrainAccess access, TestWebhookHandler handler)
    {
        Host = host;
        Store = store;
        Grains = grains;
        GrainAccess = access;
        Handler = handler;
    }

    public GatewayHost Host { get; }
    public HttpClient Http => Host.Http;
    public ScriptedStore Store { get; }
    public RecordingGrainFactory Grains { get; }
    /// <summary>Set <see cref="TestGrainAccess.Current"/> to null to play a gateway that has reached no silo yet.</summary>
    public TestGrainAccess GrainAccess { get; }
    public TestWebhookHandler Handler { get; }

    public static async Task<Harness> StartAsync(
        Action<Dictionary<string, string?>>? configure = null,
        Action<IServiceCollection>? services = null,
        params PlatformKind[] platforms)
    {
        var settings = GatewayHost.DefaultSettings();
        configure?.Invoke(settings);
        var store = new ScriptedStore();
        var grains = new RecordingGrainFactory();
        var access = new TestGrainAccess(grains);
        if (platforms.Length == 0) platforms = [PlatformKind.Chatwoot];
        var handlers = platforms.Select(p => new TestWebhookHandler(p)).ToList();
        var host = await GatewayHost.StartAsync(settings, s =>
        {
            s.AddSingleton<IConversationStore>(store);
            s.AddSingleton<IGrainAccess>(access);
            // Only the test handlers: the real platform handlers have their own tests.
            s.RemoveAll<IWebhookHandler>();
            foreach (var handler in handlers) s.AddSingleton<IWebhookHandler>(handler);
            services?.Invoke(s);
        });
        return new Harness(host, store, grains, access, handlers[0]);
    }

    public static StringContent Events(params (string Conversation, string Id, string Text)[] events) =>
        new(System.Text.Json.JsonSerializer.Serialize(new
        {
            events = events.Select(e => new { conversation = e.Conversation, id = e.Id, text = e.Text }),
        }), System.Text.Encoding.UTF8, "application/json");

    public ValueTask DisposeAsync() => Host.DisposeAsync();
}
