using Conversations.Gateway.Webhooks;
using Conversations.Gateway.Webhooks.Chatwoot;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class ChatwootWebhooksServiceCollectionExtensions
{
    /// <summary>Serves POST /webhooks/chatwoot/{tenant} (needs an IConversationStore for the inbox → account map).</summary>
    public static IServiceCollection AddChatwootWebhooks(this IServiceCollection services)
    {
        services.TryAddSingleton<ChatwootInboxAccounts>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWebhookHandler, ChatwootWebhookHandler>());
        return services;
    }
}
