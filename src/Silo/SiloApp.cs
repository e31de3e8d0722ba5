using Conversations.Gateway.Cluster;
using Conversations.Gateway.Health;
using Conversations.Gateway.Hosting;
using Conversations.Silo.Hosting;
using Microsoft.AspNetCore.Builder;
using Orleans.Dashboard;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Conversations.Silo;

/// <summary>
/// The silo's composition: an Orleans silo co-hosted with ASP.NET Core, with tenants, the store (by
/// configuration, Memory by default), the conversation grains and the re-drive, and the gateway's
/// endpoints mounted unless <c>Conversations:Gateway:Enabled=false</c>. Tests host it on port 0.
/// </summary>
public static class SiloApp
{
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <param name="args">Command-line arguments (<c>--urls</c>, <c>--Conversations:...=value</c>).</param>
    /// <param name="configure">Extra registrations after the silo's own (tests: fakes of the world outside).</param>
    /// <exception cref="InvalidOperationException">The configuration is invalid; the message names the key.</exception>
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = ProcessHost.CreateBuilder(args, DefaultUrl);

        var silo = builder.Configuration.GetSection(SiloOptions.Section).Get<SiloOptions>() ?? new SiloOptions();
        var problems = silo.Validate().ToList();
        if (problems.Count > 0) throw new InvalidOperationException("Invalid silo configuration:\n  " + string.Join("\n  ", problems));
        builder.Services.Configure<HostOptions>(options => options.ShutdownTimeout = silo.ShutdownTimeout);

        builder.Services
            .AddConversationsTenants(builder.Configuration)
            .AddConversationsStorage(builder.Configuration)
            .AddConversationsGrains(builder.Configuration)
            .AddConversationsSiloServices()
            .AddConversationsGateway(builder.Configuration)
            .AddChatwootWebhooks()
            .AddEngageWebhooks();
        builder.Services.AddSingleton<IGrainAccess, SiloGrainAccess>();
        builder.Services.AddSingleton<IReadinessContributor, SiloReadiness>();
        builder.Services.AddHostedService<StartupSummary>();
        builder.Services.AddConversationsTelemetry(builder.Configuration, "conversations-silo");
        builder.UseOrleans(orleans => OrleansSilo.Configure(orleans, builder.Configuration));
        configure?.Invoke(builder);

        var app = builder.Build();
        // The catalog validates every tenant when created: do it now so a bad tenant stops the start, not the first webhook.
        _ = app.Services.GetRequiredService<TenantCatalog>();
        app.UseConversationsGateway();
        app.MapConversationsMetrics();
        // Orleans' dashboard, behind the admin token (absent without one, like /admin).
        if (!string.IsNullOrEmpty(app.Configuration["Conversations:Admin:Token"]))
            app.MapOrleansDashboard(routePrefix: "/dashboard").AddEndpointFilter<Conversations.Gateway.Admin.AdminTokenFilter>();
        return app;
    }
}
