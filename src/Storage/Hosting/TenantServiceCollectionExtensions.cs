using Conversations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Microsoft.Extensions.DependencyInjection;

public static class TenantServiceCollectionExtensions
{
    public const string Section = "Conversations:Tenants";

    /// <summary>Binds <c>Conversations:Tenants</c> into a validated <see cref="TenantCatalog"/> (fails at start-up when invalid).</summary>
    public static IServiceCollection AddConversationsTenants(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(_ => new TenantCatalog(BindTenants(configuration)));
        return services;
    }

    /// <summary>
    /// Binds each tenant on its own: bound as a list, a tenant with a value that does not convert
    /// (<c>Platform=Chatwot</c>, <c>Ai:Kind=GPT</c>) would be silently left out, and every webhook for
    /// it would get 404 "unknown tenant". Here it stops the start with the key in the message.
    /// </summary>
    /// <exception cref="InvalidOperationException">A value does not convert; the message names the key.</exception>
    public static List<TenantOptions> BindTenants(IConfiguration configuration)
    {
        var tenants = new List<TenantOptions>();
        foreach (var child in configuration.GetSection(Section).GetChildren().OrderBy(c => int.TryParse(c.Key, out var i) ? i : int.MaxValue))
        {
            try
            {
                tenants.Add(child.Get<TenantOptions>(o => o.ErrorOnUnknownConfiguration = false) ?? new TenantOptions());
            }
            catch (InvalidOperationException ex)
            {
                throw new InvalidOperationException($"Invalid tenant configuration: {ex.Message}{KnownValues(ex)}", ex);
            }
        }
        return tenants;
    }

    private static string KnownValues(InvalidOperationException ex)
    {
        var type = ex.Message.Contains(nameof(PlatformKind), StringComparison.Ordinal) ? typeof(PlatformKind)
            : ex.Message.Contains(nameof(AiKind), StringComparison.Ordinal) ? typeof(AiKind)
            : null;
        return type is null ? "" : $" Use one of: {string.Join(", ", Enum.GetNames(type))}.";
    }
}
