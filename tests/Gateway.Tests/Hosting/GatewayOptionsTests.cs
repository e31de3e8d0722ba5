using System.Net;
using Conversations.Gateway.Tests.Support;
using Microsoft.Extensions.Options;

namespace Conversations.Gateway.Tests.Hosting;

public sealed class GatewayOptionsTests
{
    [Theory]
    [InlineData("Conversations:Gateway:MaxBodyBytes", "0", "Conversations:Gateway:MaxBodyBytes")]
    [InlineData("Conversations:Admin:Token", "   ", "Conversations:Admin:Token")]
    public async Task Invalid_settings_fail_at_start_up_naming_the_key(string key, string value, string named)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => Harness.StartAsync(s => s[key] = value));

        Assert.Contains(named, error.Message);
    }

    [Fact]
    public async Task Disabled_gateway_keeps_health_but_serves_no_webhooks_or_admin()
    {
        await using var harness = await Harness.StartAsync(s =>
        {
            s["Conversations:Gateway:Enabled"] = "false";
            s["Conversations:Admin:Token"] = "t";
        });

        using var webhook = await harness.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("1:2", "m1", "hi")));
        using var health = await harness.Http.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.NotFound, webhook.StatusCode);
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(0, harness.Handler.Calls);
    }
}
