namespace Conversations.Grains.Platforms.Engage.Http;

/// <summary>Which tenant a request is for, carried in <see cref="HttpRequestMessage.Options"/> to the handlers.</summary>
public sealed record EngageRequestTenant(string Tenant, int RequestsPerMinute, TimeSpan AttemptTimeout)
{
    public static readonly HttpRequestOptionsKey<EngageRequestTenant> Key = new("conversations.engage.tenant");
}
