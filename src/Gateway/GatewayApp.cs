using Conversations.Gateway.Hosting;
using Conversations.Runtime;
using Conversations.Runtime.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Gateway;

/// <summary>
/// The standalone gateway: webhooks, health and admin in front of a clustered store, with no grains
/// of its own. It needs a store and a cluster client that reach the silos (the Postgres cluster client).
/// </summary>
public static class GatewayApp
{
    public const string DefaultUrl = "http://127.0.0.1:5081";

    /// <exception cref="InvalidOperationException">The configuration is invalid or no store/cluster client is registered.</exception>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = ProcessHost.CreateBuilder(args, DefaultUrl);

        builder.Services
            .AddConversationsTenants(builder.Configuration)
            .AddConversationsGateway(builder.Configuration)
            .AddChatwootWebhooks()
            .AddEngageWebhooks();
        // The shared store and its cluster client (append + NOTIFY the owning silo); other providers are refused below.
        if (string.Equals(builder.Configuration["Conversations:Store:Provider"], "Postgres", StringComparison.OrdinalIgnoreCase))
            builder.Services.AddConversationsClient(builder.Configuration);
        configure?.Invoke(builder);

        var app = builder.Build();
        _ = app.Services.GetRequiredService<TenantCatalog>();
        RequireBackend(app.Services);
        app.MapConversationsGateway();
        return app;
    }

    // Without these the gateway would start and then fail every webhook; say so at start-up instead.
    private static void RequireBackend(IServiceProvider services)
    {
        var registered = services.GetRequiredService<IServiceProviderIsService>();
        var missing = new[] { typeof(IConversationStore), typeof(IClusterClient) }.Where(t => !registered.IsService(t)).Select(t => t.Name).ToList();
        if (missing.Count > 0)
            throw new InvalidOperationException(
                $"The standalone gateway has no {string.Join(" or ", missing)}: it needs the Postgres store and its cluster client " +
                "(Conversations:Store:Provider=Postgres). To run everything in one process, use the silo: dotnet run --project src/Silo.");
    }
}
