namespace Conversations.Gateway.Tests.Hosting;

public sealed class GatewayAppTests
{
    [Theory]
    [InlineData("Memory")]
    [InlineData("memory")]
    public void The_standalone_gateway_refuses_the_memory_store_because_no_silo_would_see_the_events(string provider)
    {
        var error = Assert.Throws<InvalidOperationException>(() => GatewayApp.Build(
        [
            $"--Conversations:Store:Provider={provider}",
            "--Conversations:Tenants:0:Id=acme",
            "--Conversations:Tenants:0:Platform=Chatwoot",
            "--Conversations:Tenants:0:UrlToken=t",
        ]));

        Assert.Contains("Conversations:Store:Provider=Postgres", error.Message);
        Assert.Contains($"the provider is '{provider}'", error.Message);
    }
}
