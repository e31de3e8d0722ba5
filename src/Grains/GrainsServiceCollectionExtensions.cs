using Conversations;
using Conversations.Grains.Ai;
using Conversations.Grains.Ai.OpenAi;
using Conversations.Grains.Ai.Rasa;
using Conversations.Grains.Ai.Rules;
using Conversations.Grains.Ai.Webhook;
using Conversations.Grains;
using Conversations.Grains.Conversation;
using Conversations.Grains.Hosting;
using Conversations.Grains.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Polly;

namespace Microsoft.Extensions.DependencyInjection;

public static class GrainsServiceCollectionExtensions
{
    /// <summary>
    /// The grains side of a silo: what the conversation grain needs (its policy, the action sender,
    /// the AI connectors behind their pipelines, the platform clients, its options and metrics).
    /// Needs the <see cref="TenantCatalog"/> (AddConversationsTenants) and the store (AddConversationsStorage).
    /// Invalid settings fail here, at start-up.
    /// </summary>
    public static IServiceCollection AddConversationsGrains(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();
        services.AddOptions<RuntimeOptions>().BindConfiguration(RuntimeOptions.Section).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<RuntimeOptions>, RuntimeOptionsValidator>());
        services.TryAddSingleton<ConversationMetrics>();
        services.TryAddSingleton<ActionSender>();

        var aiResilience = configuration.GetSection("Conversations:Ai:Resilience").Get<AiResilienceOptions>() ?? new AiResilienceOptions();
        var platformHttp = configuration.GetSection("Conversations:Platforms:Http").Get<PlatformHttpOptions>() ?? new PlatformHttpOptions();
        var problems = aiResilience.Validate().Concat(platformHttp.Validate()).Concat(RulePatternProblems(configuration)).ToList();
        if (problems.Count > 0) throw new InvalidOperationException("Invalid grains configuration:\n  " + string.Join("\n  ", problems));

        services.TryAddSingleton(aiResilience);
        services.AddResiliencePipelineRegistry<string>();
        services.TryAddSingleton<AiPipelines>();
        services.AddHttpClient(AiHttp.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .UseOutboundConnections(sp => sp.GetRequiredService<AiResilienceOptions>().MaxConnectionsPerServer);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAiConnector, RulesConnector>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAiConnector, OpenAiConnector>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAiConnector, RasaConnector>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IAiConnector, WebhookConnector>());
        services.TryAddSingleton<IAiClient, ResilientAiClient>();

        services.TryAddSingleton(platformHttp);

        services.TryAddSingleton<PlatformConversations>();
        services.TryAddSingleton<IConversationPolicyFactory, ConversationPolicyFactory>();
        services.TryAddSingleton<IOutboxSender, PlatformOutboxSender>();

        // One line per platform.
        services.AddChatwootPlatform();
        services.AddEngagePlatform(configuration);
        return services;
    }

    /// <summary>
    /// What only a silo has: the re-drive of unconsumed inbox events, and this silo's share of the
    /// cluster from Orleans' membership (the Engage request budget divides by it).
    /// </summary>
    public static IServiceCollection AddConversationsSiloServices(this IServiceCollection services)
    {
        services.TryAddSingleton<IClusterShare, MembershipClusterShare>();
        services.TryAddSingleton<InboxRedrive>();
        services.AddHostedService(sp => sp.GetRequiredService<InboxRedrive>());
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
