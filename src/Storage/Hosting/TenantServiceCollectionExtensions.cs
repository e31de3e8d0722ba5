using Conversations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class TenantServiceCollectionExtensions
{
    /// <summary>Binds <c>Conversations:Tenants</c> into a validated <see cref="TenantCatalog"/> (fails at start-up when invalid).</summary>
    public static IServiceCollection AddConversationsTenants(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(_ => new TenantCatalog(
            configuration.GetSection("Conversations:Tenants").Get<List<TenantOptions>>() ?? []));
        return services;
    }
}
