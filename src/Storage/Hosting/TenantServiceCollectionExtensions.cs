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
            if (ShapeProblem(child) is { } problem) throw new InvalidOperationException($"Invalid tenant configuration: {problem}");
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

    /// <summary>
    /// A list where one string is expected, or one string where a list is, binds to nothing: the setting would be
    /// dropped without a word (a weekday left closed, no closed dates, no labels).
    /// </summary>
    private static string? ShapeProblem(IConfigurationSection tenant)
    {
        if (tenant.GetSection("BusinessHours:Weekly").GetChildren().FirstOrDefault(day => day.Value is null && day.GetChildren().Any()) is { } listed)
            return $"{listed.Path} must be one string, its spans separated by commas (\"09:00-12:00, 13:00-17:00\").";
        var lists = tenant.GetSection("Handoff:Routes").GetChildren().Select(route => route.GetSection("Labels")).Prepend(tenant.GetSection("BusinessHours:Closed"));
        return lists.FirstOrDefault(list => !string.IsNullOrEmpty(list.Value)) is { } single
            ? $"{single.Path} must be a list ({single.Key}:0, {single.Key}:1, ...; in JSON an array), not one string."
            : null;
    }

    private static string KnownValues(InvalidOperationException ex)
    {
        var type = ex.Message.Contains(nameof(PlatformKind), StringComparison.Ordinal) ? typeof(PlatformKind)
            : ex.Message.Contains(nameof(AiKind), StringComparison.Ordinal) ? typeof(AiKind)
            : ex.Message.Contains(nameof(OutsideHoursAction), StringComparison.Ordinal) ? typeof(OutsideHoursAction)
            : null;
        return type is null ? "" : $" Use one of: {string.Join(", ", Enum.GetNames(type))}.";
    }
}
