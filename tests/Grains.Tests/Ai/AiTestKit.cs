using Conversations.Grains.Ai;
using Conversations.Grains.Ai.OpenAi;
using Conversations.Grains.Ai.Rasa;
using Conversations.Grains.Ai.Rules;
using Conversations.Grains.Ai.Webhook;
using Conversations.Grains.Conversation;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Grains.Tests.Ai;

/// <summary>The real AI client (connectors + pipelines) from the real registrations, pointed at a loopback fake.</summary>
public static class AiTestKit
{
    /// <param name="configure">Host registrations made before the grains' (e.g. an <c>IChatClient</c>).</param>
    public static (IAiClient Client, ServiceProvider Services) Client(AiResilienceOptions? resilience = null, Action<IServiceCollection>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(resilience ?? new AiResilienceOptions { RetryBaseDelay = TimeSpan.FromMilliseconds(10) });
        configure?.Invoke(services);
        services.AddConversationsGrains(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        var provider = services.BuildServiceProvider();
        return (provider.GetRequiredService<IAiClient>(), provider);
    }

    public static TenantOptions Tenant(AiKind kind, Uri? endpoint, Action<AiOptions>? configure = null)
    {
        var tenant = new TenantOptions { Id = "acme", Platform = PlatformKind.Chatwoot, UrlToken = "t" };
        tenant.Ai.Kind = kind;
        tenant.Ai.Endpoint = endpoint?.ToString();
        tenant.Ai.MaxRetries = 1;
        tenant.Ai.Timeout = TimeSpan.FromSeconds(2);
        configure?.Invoke(tenant.Ai);
        return tenant;
    }

    public static AiRequest Request(TenantOptions tenant, params string[] customer) => new(
        new ConversationKey("acme", "7:87"),
        tenant,
        [.. customer.Select((t, i) => new TranscriptEntry(TranscriptRole.Customer, t, DateTimeOffset.UnixEpoch.AddSeconds(i), "Maria"))],
        new Dictionary<string, string> { ["contact.name"] = "Maria Lopez" },
        AiPurpose.Reply);

    public static IEnumerable<Type> ConnectorTypes => [typeof(RulesConnector), typeof(OpenAiConnector), typeof(RasaConnector), typeof(WebhookConnector)];
}
