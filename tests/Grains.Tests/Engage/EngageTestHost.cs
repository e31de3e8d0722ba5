using Conversations.Grains.Platforms.Engage.Api;
using Conversations.TestSupport.Engage;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Grains.Tests.Engage;

/// <summary>The Engage platform services wired the production way against a fake Engage API.</summary>
internal static class EngageTestHost
{
    public static TenantOptions Tenant(FakeEngageApi engage, Action<TenantOptions>? configure = null)
    {
        var tenant = new TenantOptions
        {
            Id = "acme",
            Platform = PlatformKind.Engage,
            BaseUrl = engage.BaseAddress.ToString(),
            ApiToken = engage.Token,
            VerifyToken = "verify",
            WebhookSecret = "secret",
            BotIdentity = engage.BotUserId,
            Engage = new EngageTenantOptions { BotCategoryId = EngagePayloads.BotCategory, AgentCategoryId = EngagePayloads.AgentCategory },
        };
        configure?.Invoke(tenant);
        return tenant;
    }

    public static (ServiceProvider Services, EngageApiClient Api) Build(FakeEngageApi engage, Action<TenantOptions>? configure = null, TimeProvider? time = null)
    {
        var tenant = Tenant(engage, configure);
        var services = new ServiceCollection().AddLogging();
        if (time is not null) services.AddSingleton(time);
        services.AddSingleton(new TenantCatalog([tenant]));
        services.AddSingleton(new EngageClientOptions { CategoryConflictDelay = TimeSpan.FromMilliseconds(20) });
        services.AddEngagePlatform();
        var provider = services.BuildServiceProvider();
        return (provider, provider.GetRequiredService<EngageApiClients>().For(tenant));
    }
}
