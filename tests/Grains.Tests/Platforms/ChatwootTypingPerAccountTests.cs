using Conversations.Grains.Platforms.Chatwoot;
using Conversations.TestSupport.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Grains.Tests.Platforms;

/// <summary>Issue 13 point 5: one account's refusal of the typing indicator does not turn it off for the other accounts of a global-bot tenant.</summary>
public sealed class ChatwootTypingPerAccountTests : IAsyncLifetime
{
    private LoopbackServer _chatwoot = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _chatwoot = await LoopbackServer.StartAsync();
        _chatwoot.On("POST", "/api/v1/accounts/8/", _ => new LoopbackResponse(404, "{\"error\":\"not found\"}"));
        _chatwoot.On("POST", "/api/v1/accounts/7/", _ => LoopbackResponse.Json("{}"));
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(new TenantCatalog([Tenant()]));
        services.AddConversationsGrains(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        _services = services.BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _chatwoot.DisposeAsync();
    }

    private TenantOptions Tenant() => new() { Id = "acme", Platform = PlatformKind.Chatwoot, UrlToken = "t", ApiToken = "tok", BaseUrl = _chatwoot.BaseAddress.ToString() };

    [Fact]
    public async Task A_404_for_one_account_leaves_typing_on_for_the_others()
    {
        var typing = _services.GetRequiredService<ChatwootTyping>();
        var tenant = _services.GetRequiredService<TenantCatalog>().Find("acme")!;
        await typing.SetAsync(tenant, "8", "1", on: true, CancellationToken.None);
        Assert.True(typing.IsDisabled("acme", "8"));
        Assert.False(typing.IsDisabled("acme", "7"));

        _chatwoot.ClearRequests();
        await typing.SetAsync(tenant, "7", "87", on: true, CancellationToken.None);
        await typing.SetAsync(tenant, "8", "1", on: true, CancellationToken.None);
        await typing.SetAsync(tenant, "7", "87", on: false, CancellationToken.None);
        // Account 7 got both of its calls and keeps typing on; account 8 got none.
        Assert.Equal(2, _chatwoot.Requests.Count);
        Assert.All(_chatwoot.Requests, r => Assert.StartsWith("/api/v1/accounts/7/conversations/87/", r.Path));
        Assert.False(typing.IsDisabled("acme", "7"));
        Assert.True(typing.IsDisabled("acme", "8"));
    }
}
