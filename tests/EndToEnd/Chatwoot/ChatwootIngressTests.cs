using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using P = Conversations.EndToEnd.Chatwoot.ChatwootPayloads;

namespace Conversations.EndToEnd.Chatwoot;

/// <summary>Webhook authentication and bad input through the real gateway: nothing unproven or unreadable reaches the bot.</summary>
public sealed class ChatwootIngressTests : IAsyncLifetime
{
    private ChatwootWorld _world = null!;

    public async Task InitializeAsync() => _world = await ChatwootWorld.StartAsync();

    public async Task DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task Valid_signature_is_accepted_and_answered()
    {
        using var response = await _world.PostAsync(P.Incoming("hi"), delivery: Guid.NewGuid().ToString());
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await _world.WaitChatwootAsync("messages");
    }

    [Fact]
    public async Task Wrong_signature_is_401()
    {
        using var response = await _world.PostAsync(P.Incoming("hi"), signature: "sha256=" + new string('a', 64));
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await AssertNothingReachedTheBotAsync();
    }

    [Fact]
    public async Task Stale_timestamp_is_401()
    {
        using var response = await _world.PostAsync(P.Incoming("hi"), timestamp: DateTimeOffset.UtcNow.AddMinutes(-6).ToUnixTimeSeconds());
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await AssertNothingReachedTheBotAsync();
    }

    [Fact]
    public async Task Missing_signature_is_401()
    {
        using var response = await _world.PostAsync(P.Incoming("hi"), sign: false);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        await AssertNothingReachedTheBotAsync();
    }

    [Fact]
    public async Task Malformed_json_is_400()
    {
        using var request = new StringContent("{\"event\": \"message_created\", ", Encoding.UTF8, "application/json");
        var body = Encoding.UTF8.GetBytes("{\"event\": \"message_created\", ");
        var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        using var message = new HttpRequestMessage(HttpMethod.Post, "/webhooks/chatwoot/acme") { Content = new ByteArrayContent(body) };
        message.Headers.Add("X-Chatwoot-Timestamp", ts.ToString(System.Globalization.CultureInfo.InvariantCulture));
        message.Headers.Add("X-Chatwoot-Signature", Conversations.Gateway.Webhooks.Chatwoot.ChatwootSignature.Sign(ChatwootWorld.Secret, ts, body));
        using var response = await _world.Http.SendAsync(message);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Unknown_event_types_are_200()
    {
        using var response = await _world.PostAsync(new JsonObject { ["event"] = "contact_created", ["id"] = 1 });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Unknown_tenant_is_404()
    {
        using var response = await _world.Http.PostAsync("/webhooks/chatwoot/nobody", new StringContent("{}", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private async Task AssertNothingReachedTheBotAsync()
    {
        await _world.PostOkAsync(P.Incoming("barrier", conversation: 99));
        await _world.WaitChatwootAsync("messages", conversation: 99);
        Assert.Empty(_world.ChatwootCalls("messages"));
    }
}

public sealed class ChatwootUrlTokenTests
{
    [Fact]
    public async Task Unsigned_chatwoot_versions_authenticate_with_the_url_token()
    {
        await using var world = await ChatwootWorld.StartAsync(new() { ["WebhookSecret"] = "", ["UrlToken"] = "tok-123" });
        var body = new StringContent(P.Incoming("hi").ToJsonString(), Encoding.UTF8, "application/json");
        using (var wrong = await world.Http.PostAsync("/webhooks/chatwoot/acme?token=tok-12", body)) Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        using (var missing = await world.Http.PostAsync("/webhooks/chatwoot/acme", body)) Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        using (var right = await world.Http.PostAsync("/webhooks/chatwoot/acme?token=tok-123", body)) Assert.Equal(HttpStatusCode.OK, right.StatusCode);
        await world.WaitChatwootAsync("messages");
    }
}
