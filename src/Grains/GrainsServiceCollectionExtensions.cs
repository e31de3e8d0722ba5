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
        var problems = aiResilience.Validate().Concat(platformHttp.Validate()).Concat(RulePatternProblems(configuration)).ToList();
        if (problems.Count > 0) throw new InvalidOperationException("Invalid grains configuration:\n  " + string.Join("\n  ", problems));

        services.TryAddSingleton(aiResilience);
        services.TryAddSingleton<AiPipelines>();
        services.AddHttpClient(AiHttp.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .UseOutboundConnections(sp => sp.GetRequiredService<AiResilienceOptions>().MaxConnectionsPerServer);
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

    /// <summary>Ai:Rules patterns are regexes: a typo fails the start, not a customer's message.</summary>
    private static IEnumerable<string> RulePatternProblems(IConfiguration configuration)
    {
        var tenants = configuration.GetSection("Conversations:Tenants").Get<List<TenantOptions>>() ?? [];
        for (var t = 0; t < tenants.Count; t++)
            for (var r = 0; r < tenants[t].Ai.Rules.Count; r++)
                if (RulesConnector.Compile(tenants[t].Ai.Rules[r].Pattern) is null)
                    yield return $"Conversations:Tenants:{t}:Ai:Rules:{r}:Pattern is not a valid regular expression.";
    }
}
