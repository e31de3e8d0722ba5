using Conversations.Gateway.Admin;
using Conversations.Gateway.Admin.Stats;
using Conversations.Gateway.Cluster;
using Conversations.Gateway.Health;
using Conversations.Gateway.Hosting;
using Conversations.Gateway.Webhooks;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class GatewayServiceCollectionExtensions
{
    /// <summary>The category of ASP.NET Core's per-request Information lines, which include the query string.</summary>
    public const string RequestLogCategory = "Microsoft.AspNetCore.Hosting.Diagnostics";

    /// <summary>
    /// The HTTP ingress: webhook endpoints, health, admin API. Needs the tenants
    /// (<c>AddConversationsTenants</c>), the store (<c>AddConversationsStorage</c>), an
    /// <see cref="IGrainAccess"/> (the silo's grain factory, or the Orleans client of a standalone
    /// gateway), and one <see cref="IWebhookHandler"/> per platform served.
    /// </summary>
    public static IServiceCollection AddConversationsGateway(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GatewayOptions>().Bind(configuration.GetSection(GatewayOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>());
        services.AddOptions<AdminOptions>().Bind(configuration.GetSection(AdminOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<AdminOptions>, AdminOptionsValidator>());
        services.AddOptions<LiveStatsOptions>().Bind(configuration.GetSection(LiveStatsOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LiveStatsOptions>, LiveStatsOptionsValidator>());
        services.AddGatewayLimits(configuration);

        // ASP.NET Core's request lines ("Request starting ... ?token=...", "?hub.verify_token=...") carry the query
        // string, where the Chatwoot URL token and Engage's verify token travel: Warning unless configured by name.
        if (configuration[$"Logging:LogLevel:{RequestLogCategory}"] is null)
            services.AddLogging(logging => logging.AddFilter(RequestLogCategory, LogLevel.Warning));

        services.AddMetrics();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<GatewayLog>();
        services.TryAddSingleton<WebhookMetrics>();
        services.TryAddSingleton<WebhookHandlers>();
        services.TryAddSingleton<WebhookEndpoint>();
        services.TryAddSingleton<InboxDelivery>();
        services.TryAddSingleton<ReadinessCheck>();
        services.TryAddSingleton<AdminTokenFilter>();
        // The console's charts: this process' own meters sampled in the background (only with an admin token).
        services.TryAddSingleton<ProjectMeterListener>();
        services.TryAddSingleton<LiveStats>();
        services.AddHostedService<LiveStatsSampler>();
        return services;
    }

    /// <summary>
    /// <c>Conversations:Gateway:Limits</c>: Kestrel's limits (for every endpoint of the process), the webhook
    /// deadline (ASP.NET Core's request timeouts) and the concurrent webhooks per tenant and in all (its rate
    /// limiter). The middleware goes in with <c>UseConversationsGateway</c>.
    /// </summary>
    private static IServiceCollection AddGatewayLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<GatewayLimitsOptions>().Bind(configuration.GetSection(GatewayLimitsOptions.Section)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayLimitsOptions>, GatewayLimitsOptionsValidator>());
        // After the host's own Kestrel setup (registered when the builder was created), so these win.
        services.AddOptions<KestrelServerOptions>().Configure<IOptions<GatewayLimitsOptions>>((kestrel, limits) => GatewayLimits.ApplyTo(kestrel.Limits, limits.Value));
        services.AddRequestTimeouts();
        services.AddOptions<RequestTimeoutOptions>().Configure<IOptions<GatewayLimitsOptions>>((timeouts, limits) =>
            timeouts.AddPolicy(GatewayLimits.WebhookDeadlinePolicy, GatewayLimits.DeadlinePolicy(limits.Value)));
        services.AddRateLimiter(_ => { });
        services.AddOptions<RateLimiterOptions>().Configure<IOptions<GatewayLimitsOptions>, Conversations.TenantCatalog>((limiter, limits, tenants) =>
            WebhookConcurrency.Configure(limiter, limits.Value, tenants));
        return services;
    }
}
