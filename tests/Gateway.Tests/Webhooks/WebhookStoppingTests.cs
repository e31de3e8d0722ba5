using System.Net;
using System.Text.Json;
using Conversations.Gateway.Tests.Support;

namespace Conversations.Gateway.Tests.Webhooks;

public sealed class WebhookStoppingTests
{
    [Fact]
    public async Task Once_the_host_is_stopping_webhooks_get_503_and_readiness_drops()
    {
        await using var harness = await Harness.StartAsync();

        // Signals stopping without stopping the server, so the answers of a stopping gateway can be observed.
        harness.Host.App.Lifetime.StopApplication();
        using var webhook = await harness.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("1:2", "m1", "hi")));
        using var ready = await harness.Http.GetAsync("/readyz");
        using var health = await harness.Http.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, webhook.StatusCode);
        Assert.NotNull(webhook.Headers.RetryAfter);
        Assert.Equal(0, harness.Handler.Calls);
        Assert.Equal(0, harness.Store.InboxCount());
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        using var reason = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
        Assert.Equal("stopping", reason.RootElement.GetProperty("reason").GetString());
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }
}
