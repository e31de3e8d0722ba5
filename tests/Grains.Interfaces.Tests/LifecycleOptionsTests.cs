namespace Conversations.Grains.Interfaces.Tests;

/// <summary>Lifecycle:* (inactivity) settings: off by default, and mistakes stop the start naming the key.</summary>
public sealed class LifecycleOptionsTests
{
    private static TenantOptions Tenant(Action<LifecycleOptions> configure)
    {
        var tenant = new TenantOptions { Id = "acme", Platform = PlatformKind.Chatwoot, WebhookSecret = "s" };
        configure(tenant.Lifecycle);
        return tenant;
    }

    [Fact]
    public void Off_by_default()
    {
        var lifecycle = new TenantOptions().Lifecycle;
        Assert.False(lifecycle.Enabled);
        Assert.Empty(lifecycle.Validate("x"));
    }

    [Fact]
    public void Periods_in_seconds_are_valid()
    {
        var catalog = new TenantCatalog([Tenant(l =>
        {
            l.FollowUpAfter = TimeSpan.FromSeconds(2);
            l.FollowUpMessage = "Still there?";
            l.ResolveAfter = TimeSpan.FromSeconds(4);
        })]);
        Assert.True(catalog.Find("acme")!.Lifecycle.Enabled);
    }

    [Theory]
    [InlineData(-1, 0, "x", "Conversations:Tenants:0:Lifecycle:FollowUpAfter")]
    [InlineData(0, -1, "", "Conversations:Tenants:0:Lifecycle:ResolveAfter")]
    [InlineData(0, 91 * 24 * 3600, "", "Conversations:Tenants:0:Lifecycle:ResolveAfter")]
    [InlineData(60, 0, "", "Conversations:Tenants:0:Lifecycle:FollowUpMessage")]
    [InlineData(60, 60, "x", "Conversations:Tenants:0:Lifecycle:ResolveAfter must be longer than FollowUpAfter")]
    [InlineData(60, 30, "x", "Conversations:Tenants:0:Lifecycle:ResolveAfter must be longer than FollowUpAfter")]
    public void Mistakes_stop_the_start_naming_the_key(int followUpSeconds, int resolveSeconds, string message, string expected)
    {
        var error = Assert.Throws<InvalidOperationException>(() => new TenantCatalog([Tenant(l =>
        {
            l.FollowUpAfter = TimeSpan.FromSeconds(followUpSeconds);
            l.ResolveAfter = TimeSpan.FromSeconds(resolveSeconds);
            l.FollowUpMessage = message;
        })]));
        Assert.Contains(expected, error.Message);
    }
}
