using Conversations.Grains.Conversation;
using Conversations.Grains.Http;
using Conversations.Grains.Platforms.Engage;
using Conversations.Grains.Platforms.Engage.Actions;
using Conversations.Grains.Platforms.Engage.Api;
using Conversations.Grains.Platforms.Engage.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class EngageServiceCollectionExtensions
{
    /// <summary>
    /// Registers the Engage Digital platform: the typed REST client (named HttpClient with the
    /// resilience and per-tenant rate-limit handlers), the identity cache, the action sender.
    /// Process-wide client settings bind from <c>Conversations:Engage</c> when a configuration is given.
    /// </summary>
    public static IServiceCollection AddEngagePlatform(this IServiceCollection services, IConfiguration? configuration = null)
    {
        var options = new EngageClientOptions();
        configuration?.GetSection("Conversations:Engage").Bind(options);
        if (options.AttemptTimeout <= TimeSpan.Zero) throw new InvalidOperationException("Conversations:Engage:AttemptTimeout must be positive.");
        if (options.CategoryConflictAttempts < 1) throw new InvalidOperationException("Conversations:Engage:CategoryConflictAttempts must be at least 1.");
        services.TryAddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<EngageRequestBudgets>();
        services.TryAddSingleton<EngageMetrics>();
        services.TryAddSingleton<EngageDirectory>();
        services.TryAddSingleton<EngageApiClients>();
        services.TryAddSingleton<EngageActionSender>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPlatformConversation, EngageConversation>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPlatformActionSender, EngageActionSender>(sp => sp.GetRequiredService<EngageActionSender>()));
        services.TryAddSingleton(new PlatformHttpOptions());
        services.TryAddTransient<EngageRateLimitHandler>();
        // Read retries outside, then the tenant's request budget per attempt, then the shared breaker and per-attempt timeout.
        services.AddHttpClient(EngageApiClient.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .AddEngageReadRetries()
            .AddHttpMessageHandler<EngageRateLimitHandler>()
            .AddPlatformResilience()
            .UseOutboundConnections(sp => sp.GetRequiredService<PlatformHttpOptions>().MaxConnectionsPerServer);
        return services;
    }
}
