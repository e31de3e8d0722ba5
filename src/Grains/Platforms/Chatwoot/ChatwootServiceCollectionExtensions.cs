using Conversations.Grains.Conversation;
using Conversations.Grains.Http;
using Conversations.Grains.Platforms.Chatwoot;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class ChatwootServiceCollectionExtensions
{
    /// <summary>Chatwoot's platform seam, action sender, typing indicator and REST client (called by AddConversationsGrains).</summary>
    public static IServiceCollection AddChatwootPlatform(this IServiceCollection services)
    {
        services.AddHttpClient(ChatwootClient.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            .AddPlatformResilience()
            .UseOutboundConnections(sp => sp.GetRequiredService<PlatformHttpOptions>().MaxConnectionsPerServer);
        services.TryAddSingleton<ChatwootClient>();
        services.TryAddSingleton<ChatwootTyping>();
        services.TryAddSingleton<ChatwootLabels>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPlatformConversation, ChatwootConversation>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPlatformActionSender, ChatwootActionSender>());
        return services;
    }
}
