using Conversations.Grains.Ai;
using Conversations.TestSupport.Http;

namespace Conversations.Grains.Tests.Ai;

public sealed class RasaAndWebhookConnectorTests : IAsyncLifetime
{
    private LoopbackServer _server = null!;

    public async Task InitializeAsync() => _server = await LoopbackServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Fact]
    public async Task Rasa_messages_buttons_images_and_handoff()
    {
        _server.On("POST", "/webhooks/rest/webhook", _ => LoopbackResponse.Json("""
            [{"recipient_id":"acme/7:87","text":"Here you go"},
             {"recipient_id":"acme/7:87","image":"https://example.com/a.png"},
             {"recipient_id":"acme/7:87","text":"Pick one","buttons":[{"title":"Yes","payload":"/affirm"},{"payload":"/no-title"}]},
             {"recipient_id":"acme/7:87","custom":{"action":"handoff"}}]
            """));
        var (client, services) = AiTestKit.Client();
        await using var _ = services;
        var reply = await client.RespondAsync(AiTestKit.Request(AiTestKit.Tenant(AiKind.Rasa, _server.BaseAddress), "one", "two"), CancellationToken.None);
        Assert.Equal(["Here you go", "https://example.com/a.png", "Pick one"], reply.Messages.Select(m => m.Text));
        Assert.Equal([new AiButton("Yes", "/affirm")], reply.Messages[2].ButtonList);
        Assert.True(reply.Handoff);
        var body = Assert.Single(_server.Requests).Json();
        Assert.Equal("acme/7:87", body.GetProperty("sender").GetString());
        Assert.Equal("one\ntwo", body.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Rasa_non_array_answers_are_failures()
    {
        _server.On("POST", "/webhooks/rest/webhook", _ => LoopbackResponse.Json("{\"status\":\"ok\"}"));
        var (client, services) = AiTestKit.Client();
        await using var _ = services;
        await Assert.ThrowsAsync<AiUnavailableException>(async () => await client.RespondAsync(AiTestKit.Request(AiTestKit.Tenant(AiKind.Rasa, _server.BaseAddress), "hi"), CancellationToken.None));
    }

    [Fact]
    public async Task Webhook_contract_request_and_response()
    {
        _server.On("POST", "/bot", _ => LoopbackResponse.Json("""
            {"messages":[{"text":"Choose","buttons":[{"title":"A","value":"a"}]},{"text":""}],"handoff":true,"handoffReason":"vip","handoffTopic":" billing "}
            """));
        var (client, services) = AiTestKit.Client();
        await using var _ = services;
        var tenant = AiTestKit.Tenant(AiKind.Webhook, new Uri(_server.BaseAddress, "bot"), ai => ai.ApiKey = "k");
        var reply = await client.RespondAsync(AiTestKit.Request(tenant, "hi"), CancellationToken.None);
        Assert.Equal("Choose", Assert.Single(reply.Messages).Text);
        Assert.Equal("a", reply.Messages[0].ButtonList[0].Value);
        Assert.True(reply.Handoff);
        Assert.Equal("vip", reply.HandoffReason);
        Assert.Equal("billing", reply.HandoffTopic);
        var request = Assert.Single(_server.Requests);
        Assert.Equal("Bearer k", request.Header("Authorization"));
        var body = request.Json();
        Assert.Equal("Chatwoot", body.GetProperty("conversation").GetProperty("platform").GetString());
        Assert.Equal("Maria Lopez", body.GetProperty("conversation").GetProperty("context").GetProperty("contact.name").GetString());
        Assert.Equal("Maria", body.GetProperty("transcript")[0].GetProperty("author").GetString());
    }

    [Fact]
    public async Task Webhook_timeout_is_a_failure()
    {
        _server.On("POST", "/bot", _ => LoopbackResponse.Json("{}").After(TimeSpan.FromSeconds(3)));
        var (client, services) = AiTestKit.Client();
        await using var _ = services;
        var tenant = AiTestKit.Tenant(AiKind.Webhook, new Uri(_server.BaseAddress, "bot"), ai => { ai.Timeout = TimeSpan.FromMilliseconds(200); ai.MaxRetries = 0; });
        var ex = await Assert.ThrowsAsync<AiUnavailableException>(async () => await client.RespondAsync(AiTestKit.Request(tenant, "hi"), CancellationToken.None));
        Assert.Contains("timed out", ex.Message);
    }
}

public sealed class AiClientFailureTests
{
    [Fact]
    public async Task A_connector_bug_becomes_unavailable_not_a_stuck_turn()
    {
        var (client, services) = AiTestKit.Client();
        await using var _ = services;
        // An endpoint the HTTP stack refuses outright (not http/https).
        var tenant = AiTestKit.Tenant(AiKind.Webhook, new Uri("ftp://127.0.0.1/bot"), ai => ai.MaxRetries = 0);
        await Assert.ThrowsAsync<AiUnavailableException>(async () => await client.RespondAsync(AiTestKit.Request(tenant, "hi"), CancellationToken.None));
    }
}
