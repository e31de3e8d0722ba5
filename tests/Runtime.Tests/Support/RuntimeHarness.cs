using System.Text;
using Conversations.Runtime.Store;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Conversations.Runtime.Tests.Support;

/// <summary>A started runtime on the Memory store with a recording grain and sender.</summary>
public sealed class RuntimeHarness : IAsyncDisposable
{
    private readonly IHost _host;
    private bool _stopped;

    private RuntimeHarness(IHost host, GrainLog log, RecordingSender sender)
    {
        _host = host;
        Log = log;
        Sender = sender;
    }

    public GrainLog Log { get; }
    public RecordingSender Sender { get; }
    public IClusterClient Client => _host.Services.GetRequiredService<IClusterClient>();
    public IConversationStore Store => _host.Services.GetRequiredService<IConversationStore>();
    public IConversationRuntime Runtime => _host.Services.GetRequiredService<IConversationRuntime>();

    public static async Task<RuntimeHarness> StartAsync(Dictionary<string, string?>? settings = null, GrainLog? log = null, Conversations.Runtime.Cluster.IShardOwnership? ownership = null)
    {
        log ??= new GrainLog();
        var sender = new RecordingSender();
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings ?? []);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton<IConversationGrainFactory>(new RecordingGrainFactory(log));
        builder.Services.AddSingleton<IOutboxSender>(sender);
        if (ownership is not null) builder.Services.AddSingleton(ownership);
        builder.Services.AddConversationsRuntime(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();
        return new RuntimeHarness(host, log, sender);
    }

    public ValueTask<AppendResult> SendAsync(ConversationKey key, string dedupe, string body) =>
        Client.DeliverAsync(key, [new NewInboxMessage(dedupe, "test.event", Encoding.UTF8.GetBytes(body))], CancellationToken.None);

    public async Task StopAsync()
    {
        _stopped = true;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _host.StopAsync(timeout.Token);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped) await StopAsync();
        _host.Dispose();
    }
}

public static class Eventually
{
    /// <summary>Polls until the condition holds; fails the test with the message after the timeout.</summary>
    public static async Task TrueAsync(Func<bool> condition, string message, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) Assert.Fail("Timed out waiting: " + message);
            await Task.Delay(10);
        }
    }
}
