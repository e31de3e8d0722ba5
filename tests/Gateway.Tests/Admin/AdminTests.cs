using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Conversations.Gateway.Tests.Support;
using Conversations.Storage;

namespace Conversations.Gateway.Tests.Admin;

public sealed class AdminTests
{
    private const string Token = "s3cret-admin-token";
    private static readonly ConversationKey Key = new("acme", "7:42");

    private static Task<Harness> StartWithTokenAsync() => Harness.StartAsync(s => s["Conversations:Admin:Token"] = Token);

    private static HttpRequestMessage Get(string path, string? token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    [Fact]
    public async Task Admin_is_404_when_no_token_is_configured()
    {
        await using var harness = await Harness.StartAsync();

        using var response = await harness.Http.SendAsync(Get("/admin/conversations/acme/7:42", "anything"));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    [InlineData("s3cret-admin-token-longer")]
    public async Task Admin_is_401_without_the_right_token(string? token)
    {
        await using var harness = await StartWithTokenAsync();

        using var conversation = await harness.Http.SendAsync(Get("/admin/conversations/acme/7:42", token));
        using var parked = await harness.Http.SendAsync(Get("/admin/outbox/parked", token));

        Assert.Equal(HttpStatusCode.Unauthorized, conversation.StatusCode);
        Assert.Equal("Bearer", conversation.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.Unauthorized, parked.StatusCode);
    }

    [Fact]
    public async Task Conversation_with_the_right_token_shows_state_json_and_outbox()
    {
        await using var harness = await StartWithTokenAsync();
        var nextAttempt = new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
        harness.Store.Records[Key] = new ConversationRecord(Key, Version: 5, Fence: 3,
            State: Encoding.UTF8.GetBytes("{\"mode\":\"Bot\",\"transcript\":[{\"role\":\"customer\",\"text\":\"hi\"}]}"),
            PendingEvents: 2,
            Outbox:
            [
                new OutboxMessage(10, "chatwoot.reply", Encoding.UTF8.GetBytes("{}"), OutboxStatus.Sent, 1, nextAttempt, null),
                new OutboxMessage(11, "chatwoot.toggle_status", Encoding.UTF8.GetBytes("{}"), OutboxStatus.Pending, 2, nextAttempt, "HTTP 502"),
            ]);

        using var response = await harness.Http.SendAsync(Get("/admin/conversations/acme/7:42", Token));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = body.RootElement;
        Assert.Equal("acme", root.GetProperty("tenant").GetString());
        Assert.Equal("7:42", root.GetProperty("conversationId").GetString());
        Assert.Equal(5, root.GetProperty("version").GetInt64());
        Assert.Equal(3, root.GetProperty("fence").GetInt64());
        Assert.Equal(2, root.GetProperty("pendingEvents").GetInt32());
        Assert.Equal("json", root.GetProperty("stateEncoding").GetString());
        Assert.Equal("Bot", root.GetProperty("state").GetProperty("mode").GetString());
        Assert.Equal("hi", root.GetProperty("state").GetProperty("transcript")[0].GetProperty("text").GetString());
        var outbox = root.GetProperty("outbox");
        Assert.Equal(2, outbox.GetArrayLength());
        Assert.Equal(11, outbox[1].GetProperty("id").GetInt64());
        Assert.Equal("chatwoot.toggle_status", outbox[1].GetProperty("kind").GetString());
        Assert.Equal("pending", outbox[1].GetProperty("status").GetString());
        Assert.Equal(2, outbox[1].GetProperty("attempts").GetInt32());
        Assert.Equal(nextAttempt, outbox[1].GetProperty("nextAttemptAt").GetDateTimeOffset());
        Assert.Equal("HTTP 502", outbox[1].GetProperty("lastError").GetString());
        Assert.False(outbox[0].TryGetProperty("payload", out _));
    }

    [Fact]
    public async Task State_that_is_not_json_is_shown_as_base64()
    {
        await using var harness = await StartWithTokenAsync();
        byte[] raw = [0xff, 0x00, 0x01];
        harness.Store.Records[Key] = new ConversationRecord(Key, 1, 1, raw, 0, []);

        using var response = await harness.Http.SendAsync(Get("/admin/conversations/acme/7:42", Token));

        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("base64", body.RootElement.GetProperty("stateEncoding").GetString());
        Assert.Equal(Convert.ToBase64String(raw), body.RootElement.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Unknown_conversation_is_404()
    {
        await using var harness = await StartWithTokenAsync();

        using var response = await harness.Http.SendAsync(Get("/admin/conversations/acme/9:9", Token));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task Parked_actions_are_listed_up_to_max()
    {
        await using var harness = await StartWithTokenAsync();
        for (var i = 1; i <= 3; i++)
            harness.Store.Parked.Add(new ParkedAction(new ConversationKey("acme", $"1:{i}"), new OutboxMessage(i, "chatwoot.reply", Array.Empty<byte>(), OutboxStatus.Parked, 8, default, "HTTP 404")));

        using var response = await harness.Http.SendAsync(Get("/admin/outbox/parked?max=2", Token));
        using var invalid = await harness.Http.SendAsync(Get("/admin/outbox/parked?max=0", Token));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, harness.Store.LastParkedMax);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(2, body.RootElement.GetArrayLength());
        var first = body.RootElement[0];
        Assert.Equal("acme", first.GetProperty("tenant").GetString());
        Assert.Equal("1:1", first.GetProperty("conversationId").GetString());
        Assert.Equal(1, first.GetProperty("id").GetInt64());
        Assert.Equal("chatwoot.reply", first.GetProperty("kind").GetString());
        Assert.Equal(8, first.GetProperty("attempts").GetInt32());
        Assert.Equal("HTTP 404", first.GetProperty("lastError").GetString());
        Assert.Equal(HttpStatusCode.BadRequest, invalid.StatusCode);
    }
}
