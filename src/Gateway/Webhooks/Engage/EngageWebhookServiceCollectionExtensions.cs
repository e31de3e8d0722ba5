using Conversations.Gateway.Webhooks;
using Conversations.Gateway.Webhooks.Engage;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class EngageWebhookServiceCollectionExtensions
{
    /// <summary>Registers the Engage Digital webhook handler (<c>GET|POST /webhooks/engage/{tenant}</c>).</summary>
    public static IServiceCollection AddEngageWebhooks(this IServiceCollection services)
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IWebhookHandler, EngageWebhookHandler>());
        return services;
    }
}
