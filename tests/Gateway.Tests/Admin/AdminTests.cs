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

    /// <summary>Appends <paramref name="count"/> events to <paramref name="key"/> (sequences 1..count in the scripted store).</summary>
    private static async Task AppendEventsAsync(Harness harness, ConversationKey key, int count)
    {
        var messages = Enumerable.Range(1, count).Select(i => new NewInboxMessage($"e{i}", "test.message", Encoding.UTF8.GetBytes($"event {i}"))).ToList();
        await harness.Store.AppendAsync(key, messages, CancellationToken.None);
    }

    [Fact]
    public async Task Conversation_with_the_right_token_shows_the_grain_state_the_pending_events_and_the_outbox()
    {
        await using var harness = await StartWithTokenAsync();
        var nextAttempt = new DateTimeOffset(2026, 11, 20, 12, 0, 0, TimeSpan.Zero);
        var parkedAt = new DateTimeOffset(2026, 11, 19, 8, 30, 0, TimeSpan.Zero);
        harness.Grains.SetSnapshot(Key, new ConversationSnapshot(Exists: true, Version: 5, Cursor: 3,
            State: Encoding.UTF8.GetBytes("{\"mode\":\"Bot\",\"transcript\":[{\"role\":\"customer\",\"text\":\"hi\"}]}"),
            Pending: [new PendingActionView(11, "chatwoot.toggle_status", 2, nextAttempt, "HTTP 502")]));
        await AppendEventsAsync(harness, Key, 5);
        harness.Store.Parked.Add(new ParkedAction(Key, new OutboxMessage(9, "chatwoot.reply", Encoding.UTF8.GetBytes("{\"text\":\"secret\"}"), OutboxStatus.Parked, 8, parkedAt, "HTTP 404")));
        harness.Store.Parked.Add(new ParkedAction(new ConversationKey("acme", "7:43"), new OutboxMessage(12, "chatwoot.reply", Array.Empty<byte>(), OutboxStatus.Parked, 8, parkedAt, "HTTP 404")));

        using var response = await harness.Http.SendAsync(Get("/admin/conversations/acme/7:42", Token));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["conversation/acme/7:42"], harness.Grains.RequestedKeys);
        // Whether it has events at all (read before the snapshot), then the pending ones above the grain's cursor.
        Assert.Equal([(Key, 0L), (Key, 3L)], harness.Store.Counts);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = body.RootElement;
        Assert.Equal("acme", root.GetProperty("tenant").GetString());
        Assert.Equal("7:42", root.GetProperty("conversationId").GetString());
        Assert.Equal(5, root.GetProperty("version").GetInt64());
        Assert.Equal(3, root.GetProperty("cursor").GetInt64());
        Assert.False(root.TryGetProperty("fence", out _));
        // Events 4 and 5 are above the cursor.
        Assert.Equal(2, root.GetProperty("pendingEvents").GetInt32());
        Assert.Equal("json", root.GetProperty("stateEncoding").GetString());
        Assert.Equal("Bot", root.GetProperty("state").GetProperty("mode").GetString());
        Assert.Equal("hi", root.GetProperty("state").GetProperty("transcript")[0].GetProperty("text").GetString());
        var outbox = root.GetProperty("outbox");
        Assert.Equal(2, outbox.GetArrayLength());
        // The grain's pending actions first, then this conversation's parked ones (not another conversation's).
        Assert.Equal(11, outbox[0].GetProperty("id").GetInt64());
        Assert.Equal("chatwoot.toggle_status", outbox[0].GetProperty("kind").GetString());
        Assert.Equal("pending", outbox[0].GetProperty("status").GetString());
        Assert.Equal(2, outbox[0].GetProperty("attempts").GetInt32());
        Assert.Equal(nextAttempt, outbox[0].GetProperty("nextAttemptAt").GetDateTimeOffset());
        Assert.Equal("HTTP 502", outbox[0].GetProperty("lastError").GetString());
        Assert.Equal(9, outbox[1].GetProperty("id").GetInt64());
        Assert.Equal("chatwoot.reply", outbox[1].GetProperty("kind").GetString());
        Assert.Equal("parked", outbox[1].GetProperty("status").GetString());
        Assert.Equal(8, outbox[1].GetProperty("attempts").GetInt32());
        Assert.Equal(parkedAt, outbox[1].GetProperty("nextAttemptAt").GetDateTimeOffset());
        Assert.Equal("HTTP 404", outbox[1].GetProperty("lastError").GetString());
        Assert.False(outbox[0].TryGetProperty("payload", out _));
        Assert.False(outbox[1].TryGetProperty("payload", out _));
        Assert.DoesNotContain("secret", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_conversation_shows_its_pending_countdowns_soonest_first_and_none_when_it_has_none()
    {
        await using var harness = await StartWithTokenAsync();
        var followUp = new DateTimeOffset(2026, 11, 20, 12, 5, 0, TimeSpan.Zero);
        var resolve = followUp.AddMinutes(10);
        harness.Grains.SetSnapshot(Key, new ConversationSnapshot(true, 2, 1, "{\"mode\":\"Bot\"}"u8.ToArray(), [],
            Countdowns: [new CountdownView("inactivity.resolve", resolve), new CountdownView("inactivity.follow_up", followUp)]));

        using var response = await harness.Http.SendAsync(Get("/admin/conversations/acme/7:42", Token));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var countdowns = body.RootElement.GetProperty("countdowns");
        Assert.Equal(["inactivity.follow_up", "inactivity.resolve"], countdowns.EnumerateArray().Select(c => c.GetProperty("kind").GetString()));
        Assert.Equal(followUp, countdowns[0].GetProperty("dueAt").GetDateTimeOffset());
        Assert.Equal(resolve, countdowns[1].GetProperty("dueAt").GetDateTimeOffset());

        // A snapshot from a grain without countdowns (older silo, or none due) shows an empty list.
        harness.Grains.SetSnapshot(Key, new ConversationSnapshot(true, 3, 1, "{\"mode\":\"Bot\"}"u8.ToArray(), []));
        using var none = await harness.Http.SendAsync(Get("/admin/conversations/acme/7:42", Token));
        using var noneBody = JsonDocument.Parse(await none.Content.ReadAsStringAsync());
        Assert.Equal(0, noneBody.RootElement.GetProperty("countdowns").GetArrayLength());
    }

    [Fact]
    public async Task State_that_is_not_json_is_shown_as_base64()
    {
        await using var harness = await StartWithTokenAsync();
        byte[] raw = [0xff, 0x00, 0x01];
        harness.Grains.SetSnapshot(Key, new ConversationSnapshot(true, 1, 1, raw, []));

        using var response = await harness.Http.SendAsync(Get("/admin/conversations/acme/7:42", Token));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("base64", body.RootElement.GetProperty("stateEncoding").GetString());
        Assert.Equal(Convert.ToBase64String(raw), body.RootElement.GetProperty("state").GetString());
        Assert.Equal(0, body.RootElement.GetProperty("pendingEvents").GetInt32());
    }

    [Fact]
    public async Task A_conversation_with_events_but_no_grain_state_yet_is_shown_with_its_pending_events()
    {
        await using var harness = await StartWithTokenAsync();
        await AppendEventsAsync(harness, Key, 2);

        using var response = await harness.Http.SendAsync(Get("/admin/conversations/acme/7:42", Token));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal([(Key, 0L), (Key, 0L)], harness.Store.Counts);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = body.RootElement;
        Assert.Equal(0, root.GetProperty("version").GetInt64());
        Assert.Equal(0, root.GetProperty("cursor").GetInt64());
        Assert.Equal(2, root.GetProperty("pendingEvents").GetInt32());
        Assert.Equal("none", root.GetProperty("stateEncoding").GetString());
        Assert.Equal(JsonValueKind.Null, root.GetProperty("state").ValueKind);
        Assert.Equal(0, root.GetProperty("outbox").GetArrayLength());
    }

    [Fact]
    public async Task Unknown_conversation_is_404()
    {
        await using var harness = await StartWithTokenAsync();
        await AppendEventsAsync(harness, new ConversationKey("acme", "7:42"), 1); // another conversation's events

        using var response = await harness.Http.SendAsync(Get("/admin/conversations/acme/9:9", Token));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("conversation not found", body.RootElement.GetProperty("error").GetString());
        Assert.Equal([new ConversationKey("acme", "9:9")], harness.Grains.SnapshotReads);
    }

    [Fact]
    public async Task Unknown_tenant_is_404_without_asking_any_grain()
    {
        await using var harness = await StartWithTokenAsync();
        harness.Grains.SetSnapshot(new ConversationKey("nobody", "7:42"), new ConversationSnapshot(true, 1, 0, [], []));

        using var response = await harness.Http.SendAsync(Get("/admin/conversations/nobody/7:42", Token));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("conversation not found", body.RootElement.GetProperty("error").GetString());
        Assert.Empty(harness.Grains.RequestedKeys);
    }

    [Fact]
    public async Task Conversation_is_503_while_no_silo_is_reached_and_parked_actions_are_still_listed()
    {
        await using var harness = await StartWithTokenAsync();
        await AppendEventsAsync(harness, Key, 1);
        harness.Store.Parked.Add(new ParkedAction(Key, new OutboxMessage(4, "chatwoot.reply", Array.Empty<byte>(), OutboxStatus.Parked, 8, default, "HTTP 404")));
        harness.GrainAccess.Current = null;

        using var conversation = await harness.Http.SendAsync(Get("/admin/conversations/acme/7:42", Token));
        using var parked = await harness.Http.SendAsync(Get("/admin/outbox/parked", Token));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, conversation.StatusCode);
        using (var body = JsonDocument.Parse(await conversation.Content.ReadAsStringAsync()))
            Assert.Equal("no silo reached yet", body.RootElement.GetProperty("error").GetString());
        Assert.Empty(harness.Store.Counts);
        Assert.Equal(HttpStatusCode.OK, parked.StatusCode);
        Assert.Equal(100, harness.Store.LastParkedMax);
        using var list = JsonDocument.Parse(await parked.Content.ReadAsStringAsync());
        Assert.Equal(4, Assert.Single(list.RootElement.EnumerateArray()).GetProperty("id").GetInt64());
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
