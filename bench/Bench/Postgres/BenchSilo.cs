using Conversations.Bench.Runtime;
using Conversations.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Conversations.Bench.Postgres;

/// <summary>A silo host on PostgreSQL in this process, with the scenario's grains and a sender that only acknowledges.</summary>
public static class BenchSilo
{
    public static async Task<IHost> StartAsync(Dictionary<string, string?> settings, IConversationGrainFactory grains)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Logging.AddSimpleConsole(o => o.SingleLine = true); // warnings (lease trouble, self-fencing) show during a run
        builder.Services.AddSingleton(grains);
        builder.Services.AddSingleton<IOutboxSender, NoopSender>();
        builder.Services.AddConversationsRuntime(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }
}
