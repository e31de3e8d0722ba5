namespace Conversations.Grains.Platforms.Engage.Api;

/// <summary>Hands out the <see cref="EngageApiClient"/> of a tenant, over the factory's pooled handlers.</summary>
public sealed class EngageApiClients(IHttpClientFactory httpClients, EngageClientOptions options)
{
    /// <summary>True when the tenant has what REST calls need (BaseUrl and ApiToken).</summary>
    public static bool CanCall(TenantOptions tenant) => !string.IsNullOrEmpty(tenant.BaseUrl) && !string.IsNullOrEmpty(tenant.ApiToken);

    public EngageApiClient For(TenantOptions tenant)
    {
        var http = httpClients.CreateClient(EngageApiClient.HttpClientName);
        return new EngageApiClient(http, tenant, options.AttemptTimeout);
    }
}

/// <summary>Process-wide Engage client settings.</summary>
public sealed class EngageClientOptions
{
    /// <summary>Time allowed to one HTTP attempt once it leaves the rate limiter.</summary>
    public TimeSpan AttemptTimeout { get; set; } = TimeSpan.FromSeconds(20);
    /// <summary>How long cached identities and the bot user's identity ids are trusted.</summary>
    public TimeSpan IdentityCacheTtl { get; set; } = TimeSpan.FromHours(1);
    /// <summary>Identities kept per process before the oldest are dropped.</summary>
    public int IdentityCacheSize { get; set; } = 20_000;
    /// <summary>Attempts of <c>update_categories</c> within one handoff while Engage answers 409 (a categorization is running).</summary>
    public int CategoryConflictAttempts { get; set; } = 4;
    public TimeSpan CategoryConflictDelay { get; set; } = TimeSpan.FromMilliseconds(250);
}
