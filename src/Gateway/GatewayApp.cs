using Conversations.Gateway.Cluster;
using Conversations.Gateway.Hosting;
using Conversations.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Gateway;

/// <summary>
/// The standalone gateway: webhooks, health and admin in front of the cluster, with no grains of
/// its own. It appends to the shared PostgreSQL inbox and wakes grains through an Orleans client
/// (connected in the background, so webhooks are stored even while no silo is up).
/// </summary>
public static class GatewayApp
{
    public const string DefaultUrl = "http://127.0.0.1:5081";

    /// <exception cref="InvalidOperationException">The configuration is invalid or no store/cluster client is registered.</exception>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = ProcessHost.CreateBuilder(args, DefaultUrl);

        RequirePostgres(builder.Configuration);

        builder.Services
            .AddConversationsTenants(builder.Configuration)
            .AddConversationsStorage(builder.Configuration)
            .AddConversationsGateway(builder.Configuration)
            .AddChatwootWebhooks()
            .AddEngageWebhooks();
        builder.Services.AddSingleton<OrleansClientConnection>();
        builder.Services.AddSingleton<IGrainAccess>(sp => sp.GetRequiredService<OrleansClientConnection>());
        builder.Services.AddHostedService(sp => sp.GetRequiredService<OrleansClientConnection>());
        builder.Services.AddConversationsTelemetry(builder.Configuration, "conversations-gateway");
        configure?.Invoke(builder);

        var app = builder.Build();
        _ = app.Services.GetRequiredService<TenantCatalog>();
        app.UseConversationsGateway();
        app.MapConversationsMetrics();
        return app;
    }

    // With the Memory store no silo would ever see the events; say so at start-up instead.
    private static void RequirePostgres(Microsoft.Extensions.Configuration.IConfiguration configuration)
    {
        var store = configuration.GetSection(StoreOptions.Section).Get<StoreOptions>() ?? new StoreOptions();
        if (!store.IsPostgres)
            throw new InvalidOperationException(
                $"A standalone gateway needs the shared PostgreSQL store: set {StoreOptions.Section}:Provider=Postgres and " +
                $"{StoreOptions.Section}:ConnectionString (the provider is '{store.Provider}'; with Memory no silo would ever see the events). " +
                "To run everything in one process with the Memory store, run the silo (dotnet run --project src/Silo) instead.");
    }
}
