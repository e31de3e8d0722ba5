using System.Net;
using System.Text.Json;
using Conversations.Gateway.Tests.Support;

namespace Conversations.Gateway.Tests.Webhooks;

public sealed class WebhookRoutingTests
{
    [Theory]
    [InlineData("/webhooks/chatwoot/nobody", "unknown tenant")]
    [InlineData("/webhooks/slack/acme", "unknown platform")]
    [InlineData("/webhooks/0/acme", "unknown platform")]
    [InlineData("/webhooks/chatwoot/globex", "unknown tenant")] // globex is an Engage tenant
    public async Task Unknown_tenant_platform_or_mismatch_is_404_with_a_json_reason(string path, string reason)
    {
        await using var harness = await Harness.StartAsync();

        using var response = await harness.Http.PostAsync(path, Harness.Events(("1:2", "m1", "hi")));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(reason, body.RootElement.GetProperty("error").GetString());
        Assert.Equal(0, harness.Handler.Calls);
        Assert.Equal(0, harness.Store.InboxCount());
    }

    [Fact]
    public async Task Platform_without_a_registered_handler_is_404()
    {
        await using var harness = await Harness.StartAsync(); // only a Chatwoot handler

        using var response = await harness.Http.GetAsync("/webhooks/engage/globex?challenge=abc");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Platform_segment_is_case_insensitive()
    {
        await using var harness = await Harness.StartAsync();

        using var response = await harness.Http.PostAsync("/webhooks/ChatWoot/acme", Harness.Events(("1:2", "m1", "hi")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Get_answers_the_handlers_text_as_plain_text()
    {
        await using var harness = await Harness.StartAsync(platforms: [Conversations.PlatformKind.Engage]);

        using var response = await harness.Http.GetAsync("/webhooks/engage/globex?challenge=c-123");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("c-123", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_handler_rejection_is_answered_with_its_status_and_stores_nothing()
    {
        await using var harness = await Harness.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/chatwoot/acme") { Content = Harness.Events(("1:2", "m1", "hi")) };
        request.Headers.Add("X-Test-Reject", "401");

        using var response = await harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("rejected by test handler", body.RootElement.GetProperty("error").GetString());
        Assert.Equal(0, harness.Store.InboxCount());
    }
}
