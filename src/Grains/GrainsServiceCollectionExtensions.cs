using Conversations;
using Conversations.Grains.Ai;
using Conversations.Grains.Ai.OpenAi;
using Conversations.Grains.Ai.Rasa;
using Conversations.Grains.Ai.Rules;
using Conversations.Grains.Ai.Webhook;
using Conversations.Grains.Conversation;
using Conversations.Grains.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class GrainsServiceCollectionExtensions
{
    /// <summary>
    /// The grains side of a silo: the conversation grain factory, the outbox sender, the AI connectors
    /// behind their pipelines and the platform clients. Needs the <see cref="TenantCatalog"/> (AddConversationsTenants).
    /// Invalid settings fail here, at start-up.
    /// </summary>
    public static IServiceCollection AddConversationsGrains(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);

        var aiResilience = configuration.GetSection("Conversations:Ai:Resilience").Get<AiResilienceOptions>() ?? new AiResilienceOptions();
        var platformHttp = configuration.GetSection("Conversations:Platforms:Http").Get<PlatformHttpOptions>() ?? new PlatformHttpOptions();
        var problems = aiResilience.Validate().Concat(platformHttp.Validate()).ToList();
        if (problems.Count > 0) throw new InvalidOperationException("Invalid grains configuration:\n  " + string.Join("\n  ", problems));

        services.TryAddSingleton(aiResilience);
        services.TryAddSingleton<AiPipelines>();
        services.AddHttpClient(AiHttp.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAiConnector, RulesConnector>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAiConnector, OpenAiConnector>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAiConnector, RasaConnector>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAiConnector, WebhookConnector>());
        services.TryAddSingleton<IAiClient, ResilientAiClient>();

        services.TryAddSingleton(platformHttp);
        services.TryAddSingleton<PlatformPipelines>();
        services.TryAddTransient<PlatformResilienceHandler>();

        services.TryAddSingleton<PlatformConversations>();
        services.TryAddSingleton<IConversationGrainFactory, ConversationGrainFactory>();
        services.TryAddSingleton<IOutboxSender, PlatformOutboxSender>();

        // One line per platform.
        services.AddChatwootPlatform();
        services.AddEngagePlatform(configuration);
        return services;
    }
}
