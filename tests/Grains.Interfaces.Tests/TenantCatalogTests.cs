namespace Conversations.Grains.Interfaces.Tests;

public sealed class TenantCatalogTests
{
    private static TenantOptions Chatwoot(string id) => new() { Id = id, Platform = PlatformKind.Chatwoot, WebhookSecret = "s" };

    [Fact]
    public void Valid_tenants_are_found_by_id()
    {
        var catalog = new TenantCatalog([Chatwoot("acme"), new TenantOptions { Id = "engage-1", Platform = PlatformKind.Engage, VerifyToken = "v" }]);

        Assert.Equal(PlatformKind.Engage, catalog.Find("engage-1")!.Platform);
        Assert.Null(catalog.Find("nobody"));
        Assert.Equal(2, catalog.All.Count);
    }

    [Fact]
    public void Chatwoot_tenant_without_secret_or_url_token_fails_naming_the_key()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new TenantCatalog([new TenantOptions { Id = "acme", Platform = PlatformKind.Chatwoot }]));

        Assert.Contains("Conversations:Tenants:0", error.Message);
        Assert.Contains("WebhookSecret", error.Message);
    }

    [Theory]
    [InlineData("Acme")]
    [InlineData("a b")]
    [InlineData("")]
    public void Bad_tenant_ids_are_refused(string id)
    {
        var error = Assert.Throws<InvalidOperationException>(() => new TenantCatalog([Chatwoot(id)]));
        Assert.Contains("Conversations:Tenants:0:Id", error.Message);
    }

    [Fact]
    public void Every_problem_is_listed_at_once()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new TenantCatalog([
            Chatwoot("dup"), Chatwoot("dup"),
            new TenantOptions { Id = "e", Platform = PlatformKind.Engage, Ai = new AiOptions { Kind = AiKind.OpenAi } },
        ]));

        Assert.Contains("'dup' is configured more than once", error.Message);
        Assert.Contains("Conversations:Tenants:2:VerifyToken", error.Message);
        Assert.Contains("Conversations:Tenants:2:Ai:Endpoint", error.Message);
    }
}
