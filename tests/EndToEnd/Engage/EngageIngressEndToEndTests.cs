using System.Net;
using System.Text.Json.Nodes;
using Conversations.Grains.Conversation;
using Conversations.TestSupport.Engage;

namespace Conversations.EndToEnd.Engage;

/// <summary>Webhook in, reply out: handshake, authentication, batches, duplicates, ordering and the 1.8 filters.</summary>
public sealed class EngageIngressEndToEndTests : IAsyncLifetime
{
    private EngageWorld _world = null!;

    public async Task InitializeAsync() => _world = await EngageWorld.StartAsync();

    public async Task DisposeAsync() => await _world.DisposeAsync();

    [Fact]
    public async Task Handshake_answers_the_challenge_only_for_the_right_token()
    {
        using var good = await _world.Http.GetAsync($"/webhooks/engage/acme?hub.mode=subscribe&hub.verify_token={EngageWorld.VerifyToken}&hub.challenge=ch4ll-3nge");
        Assert.Equal(HttpStatusCode.OK, good.StatusCode);
        Assert.Equal("ch4ll-3nge", await good.Content.ReadAsStringAsync());

        using var wrong = await _world.Http.GetAsync("/webhooks/engage/acme?hub.mode=subscribe&hub.verify_token=nope&hub.challenge=x");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        using var mode = await _world.Http.GetAsync($"/webhooks/engage/acme?hub.mode=unsubscribe&hub.verify_token={EngageWorld.VerifyToken}&hub.challenge=x");
        Assert.Equal(HttpStatusCode.BadRequest, mode.StatusCode);
        using var missing = await _world.Http.GetAsync("/webhooks/engage/acme");
        Assert.Equal(HttpStatusCode.BadRequest, missing.StatusCode);
    }

    [Fact]
    public async Task A_missing_or_wrong_secret_is_401_and_nothing_happens()
    {
        var thread = _world.NewThread();
        using var missing = await _world.PostAsync(EngagePayloads.Envelope(_world.CustomerWrites(thread, "hello")), secret: null);
        using var wrong = await _world.PostAsync(EngagePayloads.Envelope(_world.CustomerWrites(thread, "hello")), secret: "not-it");
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        using var malformed = await _world.PostAsync(new JsonObject { ["events"] = "not an array" }, EngageWorld.Secret);
        Assert.Equal(HttpStatusCode.OK, malformed.StatusCode);
        await Task.Delay(300);
        Assert.Null(await _world.StateAsync(thread));
        Assert.Empty(_world.Engage.BotReplies());
    }

    [Fact]
    public async Task Malformed_json_is_400()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/engage/acme") { Content = new StringContent("{\"events\": [", System.Text.Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Dimelo-Secret", EngageWorld.Secret);
        using var response = await _world.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Every_event_of_a_batch_across_threads_is_answered()
    {
        var a = _world.NewThread();
        var b = _world.NewThread();
        var c = _world.NewThread();
        var envelope = EngagePayloads.Envelope(
            _world.CustomerWrites(a, "where is my parcel"),
            _world.CustomerWrites(b, "I want a refund"),
            _world.CustomerWrites(c, "opening hours?"));
        envelope["domain_id"] = 42;
        using var response = await _world.PostAsync(envelope);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        await _world.Engage.WaitUntilAsync(() => _world.Engage.BotReplies().Count >= 3, "three replies");
        Assert.Equal("echo: where is my parcel", Assert.Single(_world.Engage.BotReplies(a)).Body);
        Assert.Equal("echo: I want a refund", Assert.Single(_world.Engage.BotReplies(b)).Body);
        Assert.Equal("echo: opening hours?", Assert.Single(_world.Engage.BotReplies(c)).Body);
    }

    [Fact]
    public async Task A_redelivered_event_is_answered_once()
    {
        var thread = _world.NewThread();
        var message = _world.CustomerWrites(thread, "only once please");
        await _world.DeliverAsync(message);
        await _world.Engage.WaitUntilAsync(() => _world.Engage.BotReplies(thread).Count == 1, "the reply");

        // The same event again, alone and inside another request.
        await _world.DeliverAsync(JsonNode.Parse(message.ToJsonString())!.AsObject());
        await _world.DeliverAsync(JsonNode.Parse(message.ToJsonString())!.AsObject(), EngagePayloads.Intervention("intervention.deferred", thread, EngagePayloads.AgentUser));
        await Task.Delay(500);
        await _world.SettleAsync(thread);
        Assert.Single(_world.Engage.BotReplies(thread));
    }

    [Fact]
    public async Task An_out_of_order_batch_is_read_in_issued_at_order_and_answered_in_reply_to_the_newest()
    {
        var thread = _world.NewThread();
        var t0 = DateTimeOffset.UtcNow;
        var first = _world.CustomerWrites(thread, "first", issuedAt: t0);
        var second = _world.CustomerWrites(thread, "second", issuedAt: t0.AddMilliseconds(300));
        var third = _world.CustomerWrites(thread, "third", issuedAt: t0.AddMilliseconds(600));
        await _world.DeliverAsync(third, first, second);

        await _world.Engage.WaitUntilAsync(() => _world.Engage.BotReplies(thread).Count >= 1, "a reply");
        await _world.SettleAsync(thread);
        var reply = Assert.Single(_world.Engage.BotReplies(thread));
        Assert.Equal((string)third["resource"]!["id"]!, reply.InReplyToId);
        Assert.Equal("echo: first\nsecond\nthird", reply.Body);
        var state = (await _world.StateAsync(thread))!;
        Assert.Equal(["first", "second", "third"], state.Transcript.Where(t => t.Role == TranscriptRole.Customer).Select(t => t.Text));

        // A late retry of an older event does not retarget the conversation.
        var late = _world.CustomerWrites(thread, "late", issuedAt: t0.AddMilliseconds(100));
        await _world.DeliverAsync(late);
        await _world.Engage.WaitUntilAsync(() => _world.Engage.BotReplies(thread).Count >= 2, "a second reply");
        Assert.Equal((string)third["resource"]!["id"]!, _world.Engage.BotReplies(thread)[1].InReplyToId);
    }

    [Fact]
    public async Task The_filters_of_engage_1_8_keep_the_bot_quiet()
    {
        var thread = _world.NewThread();
        const string agentLinkedIdentity = "65f0a1b2c3d4e5f6012399a9";
        _world.Engage.AddIdentity(agentLinkedIdentity, "Agent Smith (personal)", [EngagePayloads.AgentUser]);
        _world.Engage.AddIdentity("65f0a1b2c3d4e5f6012345a1", "Jane Customer");

        // Payload-only events: what Engage stores for them (brand posts, agent contents) is not a customer's history.
        await _world.DeliverAsync(
            EngagePayloads.CustomerMessage(thread, "rule 2 status", status: "user_reply"),
            EngagePayloads.CustomerMessage(thread, "rule 2 initiated", status: "user_initiated"),
            EngagePayloads.CustomerMessage(thread, "rule 2 creator", creatorId: EngagePayloads.AgentUser),
            EngagePayloads.CustomerMessage(thread, "rule 3 bot identity", authorId: EngagePayloads.BotIdentity),
            EngagePayloads.CustomerMessage(thread, "rule 5 approval", approvalRequired: true),
            EngagePayloads.CustomerMessage(thread, "rule 6 agent identity", authorId: agentLinkedIdentity));
        await _world.SettleAsync(thread);
        Assert.Empty(_world.Engage.BotReplies(thread));

        var good = _world.CustomerWrites(thread, "a real question");
        await _world.DeliverAsync(good);
        await _world.Engage.WaitUntilAsync(() => _world.Engage.BotReplies(thread).Count == 1, "the reply to the real question");
        var reply = Assert.Single(_world.Engage.BotReplies(thread));
        Assert.Equal("echo: a real question", reply.Body);
        var state = (await _world.StateAsync(thread))!;
        Assert.Equal("Jane Customer", state.Context["customer_name"]);
        Assert.DoesNotContain(state.Transcript, t => t.Text.StartsWith("rule", StringComparison.Ordinal));

        // Rule 4: outside the BOT category the message is transcript only.
        var agentThread = _world.NewThread(EngagePayloads.AgentCategory);
        await _world.DeliverAsync(_world.CustomerWrites(agentThread, "anyone there?"));
        var agentState = await _world.WaitForStateAsync(agentThread, s => s.Transcript.Count > 0, "the transcript");
        await _world.SettleAsync(agentThread);
        Assert.Equal(ConversationMode.Human, agentState.Mode);
        Assert.Empty(_world.Engage.BotReplies(agentThread));
    }

    [Fact]
    public async Task Bot_echoes_are_transcript_only_and_a_failed_export_is_counted_and_handed_to_humans()
    {
        var thread = _world.NewThread();
        await _world.DeliverAsync(_world.CustomerWrites(thread, "hello"));
        await _world.Engage.WaitUntilAsync(() => _world.Engage.BotReplies(thread).Count == 1, "the reply");
        var reply = _world.Engage.BotReplies(thread)[0];

        await _world.DeliverAsync(
            EngagePayloads.Outgoing("content.replied", thread, reply.Body, EngagePayloads.BotUser, EngagePayloads.BotIdentity, reply.Id),
            EngagePayloads.Outgoing("content.exported", thread, reply.Body, EngagePayloads.BotUser, EngagePayloads.BotIdentity, reply.Id, synchronizationStatus: "successful"),
            EngagePayloads.Outgoing("content.exported", thread, "lost", EngagePayloads.BotUser, EngagePayloads.BotIdentity, synchronizationStatus: "unsuccessful"));
        await _world.SettleAsync(thread);
        var metrics = (Conversations.Grains.Platforms.Engage.EngageMetrics)_world.Silo.Services.GetService(typeof(Conversations.Grains.Platforms.Engage.EngageMetrics))!;
        Assert.Equal(1, metrics.UnsuccessfulExports);
        var state = (await _world.StateAsync(thread))!;
        Assert.Single(state.Transcript, t => t.Role == TranscriptRole.Bot);
        // The customer never got the lost reply and Engage gave no reason: humans take over, nothing is posted again.
        Assert.Equal(ConversationMode.Human, state.Mode);
        Assert.Contains("could not be delivered", state.LastHandoffReason);
        Assert.Single(_world.Engage.BotReplies(thread));
    }

    private static JsonObject Meta(JsonObject e) => (JsonObject)e["resource"]!["metadata"]!;
}

internal static class JsonObjectExtensions
{
    public static JsonObject Also(this JsonObject o, Action<JsonObject> change)
    {
        change(o);
        return o;
    }
}
