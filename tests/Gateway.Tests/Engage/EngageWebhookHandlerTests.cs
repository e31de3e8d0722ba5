using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conversations.Engage;
using Conversations.Gateway.Webhooks;
using Conversations.Gateway.Webhooks.Engage;
using Conversations.TestSupport.Engage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Primitives;

namespace Conversations.Gateway.Tests.Engage;

public sealed class EngageWebhookHandlerTests
{
    private const string Secret = "s3cr3t-webhook";
    private const string ThreadA = "65f0a1b2c3d4e5f601234567";
    private const string ThreadB = "65f0a1b2c3d4e5f601234568";

    private static readonly TenantOptions Tenant = new()
    {
        Id = "acme",
        Platform = PlatformKind.Engage,
        BaseUrl = "http://127.0.0.1:1",
        ApiToken = "token",
        VerifyToken = "verify-me",
        WebhookSecret = Secret,
        BotIdentity = EngagePayloads.BotUser,
        Engage = new EngageTenantOptions { BotCategoryId = EngagePayloads.BotCategory, AgentCategoryId = EngagePayloads.AgentCategory },
    };

    private readonly EngageWebhookHandler _handler = new(NullLogger<EngageWebhookHandler>.Instance);

    [Fact]
    public async Task Handshake_with_the_right_token_answers_exactly_the_challenge()
    {
        var verdict = await Get(("hub.mode", "subscribe"), ("hub.verify_token", "verify-me"), ("hub.challenge", "c-123 xyz"));
        Assert.Equal(200, verdict.StatusCode);
        Assert.Equal("c-123 xyz", verdict.ResponseText);
        Assert.Empty(verdict.Deliveries);
    }

    [Fact]
    public async Task Handshake_with_a_wrong_token_is_401()
    {
        var verdict = await Get(("hub.mode", "subscribe"), ("hub.verify_token", "nope"), ("hub.challenge", "c"));
        Assert.Equal(401, verdict.StatusCode);
        Assert.Null(verdict.ResponseText);
    }

    [Theory]
    [InlineData("unsubscribe", "verify-me", "c")]
    [InlineData("subscribe", "verify-me", "")]
    [InlineData("subscribe", "", "c")]
    [InlineData("", "", "")]
    public async Task Handshake_with_a_wrong_mode_or_missing_parameter_is_400(string mode, string token, string challenge)
    {
        var verdict = await Get(("hub.mode", mode), ("hub.verify_token", token), ("hub.challenge", challenge));
        Assert.Equal(400, verdict.StatusCode);
    }

    [Fact]
    public async Task Handshake_with_a_wrong_secret_header_is_401()
    {
        var verdict = await Get([("hub.mode", "subscribe"), ("hub.verify_token", "verify-me"), ("hub.challenge", "c")], secret: "wrong");
        Assert.Equal(401, verdict.StatusCode);
    }

    [Fact]
    public async Task Post_without_secret_is_401_and_stores_nothing()
    {
        var verdict = await Post(EngagePayloads.Envelope(EngagePayloads.CustomerMessage(ThreadA, "hi")), secret: null);
        Assert.Equal(401, verdict.StatusCode);
        Assert.Empty(verdict.Deliveries);
    }

    [Fact]
    public async Task Post_with_wrong_secret_is_401()
    {
        var verdict = await Post(EngagePayloads.Envelope(EngagePayloads.CustomerMessage(ThreadA, "hi")), secret: Secret + "x");
        Assert.Equal(401, verdict.StatusCode);
        Assert.Empty(verdict.Deliveries);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2]")]
    [InlineData("")]
    public async Task Malformed_json_is_400(string body)
    {
        var verdict = await PostRaw(Encoding.UTF8.GetBytes(body), Secret);
        Assert.Equal(400, verdict.StatusCode);
    }

    [Fact]
    public async Task The_reference_fixture_becomes_one_customer_message_for_its_thread()
    {
        var body = await File.ReadAllBytesAsync(Path.Combine(AppContext.BaseDirectory, "Engage", "Fixtures", "webhook-content-imported-customer.json"));
        var verdict = await PostRaw(body, Secret);
        Assert.Equal(200, verdict.StatusCode);
        var delivery = Assert.Single(verdict.Deliveries);
        Assert.Equal(new ConversationKey("acme", ThreadA), delivery.Key);
        Assert.Equal("engage.event:6849d1e3a1b2c3d4e5f60101", delivery.Message.DedupeKey);
        var e = Read(delivery);
        Assert.Equal(EventKind.CustomerMessage, e.Kind);
        Assert.Equal("content.imported", e.Type);
        Assert.Equal("Hi, my parcel 48213 hasn't arrived yet. Can you check?", e.Text);
        Assert.Equal(EngageEventData.StatusBot, e.PlatformStatus);
        Assert.Equal("65f0a1b9c3d4e5f6012345c1", e.Data[EngageEventData.ContentId]);
        Assert.Equal("65f0a1b2c3d4e5f6012345a1", e.Data[EngageEventData.AuthorId]);
        Assert.Equal("true", e.Data[EngageEventData.FirstInThread]);
        Assert.False(e.Data.ContainsKey(EngageEventData.InterventionId));
        Assert.Equal(DateTimeOffset.Parse("2025-06-12T09:14:03.512Z", System.Globalization.CultureInfo.InvariantCulture), e.OccurredAt);
    }

    [Fact]
    public async Task A_batch_across_threads_keeps_every_event_and_accepts_a_numeric_domain_id_and_unknown_fields()
    {
        var envelope = EngagePayloads.Envelope(
            EngagePayloads.CustomerMessage(ThreadA, "one"),
            EngagePayloads.CustomerMessage(ThreadB, "two"),
            EngagePayloads.CustomerMessage(ThreadA, "three"));
        envelope["domain_id"] = 1;
        envelope["brand_new_field"] = new JsonObject { ["x"] = 1 };
        ((JsonObject)envelope["events"]![0]!)["surprise"] = "ignored";
        var verdict = await Post(envelope);
        Assert.Equal(200, verdict.StatusCode);
        Assert.Equal(3, verdict.Deliveries.Count);
        Assert.Equal(["one", "three"], verdict.Deliveries.Where(d => d.Key.ConversationId == ThreadA).Select(d => Read(d).Text));
        Assert.Equal(["two"], verdict.Deliveries.Where(d => d.Key.ConversationId == ThreadB).Select(d => Read(d).Text));
    }

    [Fact]
    public async Task Numeric_ids_are_read_as_strings()
    {
        var e = EngagePayloads.CustomerMessage(ThreadA, "hi");
        e["id"] = 12345;
        ((JsonObject)e["resource"]!["metadata"]!)["thread_id"] = 987;
        var verdict = await Post(EngagePayloads.Envelope(e));
        var delivery = Assert.Single(verdict.Deliveries);
        Assert.Equal("987", delivery.Key.ConversationId);
        Assert.Equal("engage.event:12345", delivery.Message.DedupeKey);
    }

    [Fact]
    public async Task An_out_of_order_batch_is_ordered_by_issued_at()
    {
        var t0 = new DateTimeOffset(2026, 1, 1, 10, 0, 0, TimeSpan.Zero);
        var verdict = await Post(EngagePayloads.Envelope(
            EngagePayloads.CustomerMessage(ThreadA, "third", issuedAt: t0.AddSeconds(3)),
            EngagePayloads.CustomerMessage(ThreadA, "first", issuedAt: t0.AddSeconds(1)),
            EngagePayloads.CustomerMessage(ThreadA, "second", issuedAt: t0.AddMilliseconds(2001))));
        Assert.Equal(["first", "second", "third"], verdict.Deliveries.Select(d => Read(d).Text));
    }

    [Fact]
    public async Task The_same_event_twice_in_a_batch_is_stored_once_under_its_event_id()
    {
        var e = EngagePayloads.CustomerMessage(ThreadA, "hi", eventId: "6849d1e3a1b2c3d4e5f6aaaa");
        var verdict = await Post(EngagePayloads.Envelope(e, JsonNode.Parse(e.ToJsonString())!.AsObject()));
        var delivery = Assert.Single(verdict.Deliveries);
        Assert.Equal("engage.event:6849d1e3a1b2c3d4e5f6aaaa", delivery.Message.DedupeKey);
    }

    [Theory]
    [InlineData("user_reply")]
    [InlineData("user_initiated")]
    public async Task Rule2_contents_with_a_user_status_are_ignored(string status)
    {
        var verdict = await Post(EngagePayloads.Envelope(EngagePayloads.CustomerMessage(ThreadA, "brand post", status: status)));
        Assert.Equal(200, verdict.StatusCode);
        Assert.Empty(verdict.Deliveries);
    }

    [Fact]
    public async Task Rule2_contents_created_by_a_user_are_ignored()
    {
        var verdict = await Post(EngagePayloads.Envelope(EngagePayloads.CustomerMessage(ThreadA, "welcome", creatorId: EngagePayloads.AgentUser)));
        Assert.Empty(verdict.Deliveries);
    }

    [Fact]
    public async Task Rule2_an_import_created_by_the_bot_user_is_its_echo()
    {
        var verdict = await Post(EngagePayloads.Envelope(EngagePayloads.CustomerMessage(ThreadA, "my own reply", creatorId: EngagePayloads.BotUser)));
        Assert.Equal(EventKind.BotEcho, Read(Assert.Single(verdict.Deliveries)).Kind);
    }

    [Fact]
    public async Task Rule3_the_author_identity_is_carried_for_the_grain_to_check()
    {
        var verdict = await Post(EngagePayloads.Envelope(EngagePayloads.CustomerMessage(ThreadA, "from the bot identity", authorId: EngagePayloads.BotIdentity)));
        var e = Read(Assert.Single(verdict.Deliveries));
        Assert.Equal(EngagePayloads.BotIdentity, e.Data[EngageEventData.AuthorId]);
        Assert.Equal(EngagePayloads.BotIdentity, e.Author);
    }

    [Fact]
    public async Task Rule4_a_message_outside_the_bot_category_is_stored_as_agent_owned()
    {
        var verdict = await Post(EngagePayloads.Envelope(EngagePayloads.CustomerMessage(ThreadA, "hello?", categories: [EngagePayloads.AgentCategory, EngagePayloads.OtherCategory])));
        var e = Read(Assert.Single(verdict.Deliveries));
        Assert.Equal(EventKind.CustomerMessage, e.Kind);
        Assert.Equal(EngageEventData.StatusAgent, e.PlatformStatus);
        Assert.Equal($"{EngagePayloads.AgentCategory},{EngagePayloads.OtherCategory}", e.Data[EngageEventData.CategoryIds]);
    }

    [Fact]
    public async Task Rule4_a_message_without_category_ids_leaves_the_status_unknown()
    {
        var e = EngagePayloads.CustomerMessage(ThreadA, "hello?");
        ((JsonObject)e["resource"]!["metadata"]!).Remove("category_ids");
        var verdict = await Post(EngagePayloads.Envelope(e));
        Assert.Null(Read(Assert.Single(verdict.Deliveries)).PlatformStatus);
    }

    [Fact]
    public async Task Rule5_a_content_awaiting_approval_is_ignored()
    {
        var verdict = await Post(EngagePayloads.Envelope(EngagePayloads.CustomerMessage(ThreadA, "hi", approvalRequired: true)));
        Assert.Empty(verdict.Deliveries);
    }

    [Fact]
    public async Task Html_bodies_are_reduced_to_text()
    {
        var verdict = await Post(EngagePayloads.Envelope(EngagePayloads.CustomerMessage(ThreadA, "<p>Hello <b>there</b></p><p>Line&nbsp;2 &amp; more</p>", bodyFormat: "html")));
        Assert.Equal("Hello there\nLine 2 & more", Read(Assert.Single(verdict.Deliveries)).Text);
    }

    [Fact]
    public async Task An_attachment_is_described_so_an_attachment_only_message_still_reaches_the_bot()
    {
        var photo = EngagePayloads.CustomerMessage(ThreadA, "ignored");
        photo["resource"]!["metadata"]!["body"] = null;
        photo["resource"]!["metadata"]!["has_attachment"] = true;
        var captioned = EngagePayloads.CustomerMessage(ThreadB, "my receipt");
        captioned["resource"]!["metadata"]!["has_attachment"] = true;

        var verdict = await Post(EngagePayloads.Envelope(photo, captioned));

        Assert.Equal(2, verdict.Deliveries.Count);
        Assert.Equal(EventKind.CustomerMessage, Read(verdict.Deliveries[0]).Kind);
        Assert.Equal("[attachment]", Read(verdict.Deliveries[0]).Text);
        Assert.Equal("my receipt\n[attachment]", Read(verdict.Deliveries[1]).Text);
    }

    [Fact]
    public async Task Replied_and_exported_of_one_content_share_a_dedupe_key_and_the_bot_is_recognized()
    {
        var contentId = EngagePayloads.NewId("65c0");
        var verdict = await Post(EngagePayloads.Envelope(
            EngagePayloads.Outgoing("content.replied", ThreadA, "bot answer", EngagePayloads.BotUser, EngagePayloads.BotIdentity, contentId),
            EngagePayloads.Outgoing("content.exported", ThreadA, "bot answer", EngagePayloads.BotUser, EngagePayloads.BotIdentity, contentId, synchronizationStatus: "successful"),
            EngagePayloads.Outgoing("content.replied", ThreadB, "agent answer", EngagePayloads.AgentUser, "65f0aaaaaaaaaaaaaaaaaaaa")));
        Assert.Equal(2, verdict.Deliveries.Count);
        Assert.Equal(EventKind.BotEcho, Read(verdict.Deliveries[0]).Kind);
        Assert.Equal($"engage.content:{contentId}", verdict.Deliveries[0].Message.DedupeKey);
        Assert.Equal(EventKind.AgentMessage, Read(verdict.Deliveries[1]).Kind);
    }

    [Fact]
    public async Task An_unsuccessful_export_is_stored_for_the_grain_to_record()
    {
        var verdict = await Post(EngagePayloads.Envelope(
            EngagePayloads.Outgoing("content.exported", ThreadA, "bot answer", EngagePayloads.BotUser, EngagePayloads.BotIdentity, synchronizationStatus: "unsuccessful")));
        var e = Read(Assert.Single(verdict.Deliveries));
        Assert.Equal(EventKind.Other, e.Kind);
        Assert.Equal("unsuccessful", e.Data[EngageEventData.SynchronizationStatus]);
    }

    [Theory]
    [InlineData("intervention.opened")]
    [InlineData("intervention.assigned")]
    [InlineData("intervention.user_updated")]
    public async Task An_intervention_owned_by_a_human_is_a_takeover_and_the_bots_own_is_not(string type)
    {
        var interventionId = EngagePayloads.NewId("65d0");
        var verdict = await Post(EngagePayloads.Envelope(
            EngagePayloads.Intervention(type, ThreadA, EngagePayloads.AgentUser, interventionId),
            EngagePayloads.Intervention(type, ThreadB, EngagePayloads.BotUser)));
        Assert.Equal(EventKind.HumanTookOver, Read(verdict.Deliveries[0]).Kind);
        Assert.Equal(interventionId, Read(verdict.Deliveries[0]).Data[EngageEventData.InterventionId]);
        Assert.Equal(EngagePayloads.AgentUser, Read(verdict.Deliveries[0]).Data[EngageEventData.UserId]);
        Assert.Equal(EventKind.Other, Read(verdict.Deliveries[1]).Kind);
    }

    [Fact]
    public async Task Intervention_closed_and_thread_closed_are_stored_and_other_types_ignored()
    {
        var verdict = await Post(EngagePayloads.Envelope(
            EngagePayloads.Intervention("intervention.closed", ThreadA, EngagePayloads.AgentUser),
            EngagePayloads.ThreadClosed(ThreadB),
            EngagePayloads.Intervention("intervention.deferred", ThreadA, EngagePayloads.AgentUser)));
        Assert.Equal(2, verdict.Deliveries.Count);
        Assert.Equal(EventKind.StatusChanged, Read(verdict.Deliveries[0]).Kind);
        Assert.Equal("intervention.closed", Read(verdict.Deliveries[0]).Type);
        Assert.Equal(EventKind.Resolved, Read(verdict.Deliveries[1]).Kind);
    }

    [Fact]
    public async Task An_empty_or_eventless_batch_is_200_with_nothing_stored()
    {
        var verdict = await PostRaw("{\"id\":\"x\",\"domain_id\":1}"u8.ToArray(), Secret);
        Assert.Equal(200, verdict.StatusCode);
        Assert.Empty(verdict.Deliveries);
    }

    private static ConversationEvent Read(WebhookDelivery delivery) =>
        ConversationEventJson.Deserialize(delivery.Message.Body.Span);

    private ValueTask<WebhookVerdict> Get(params (string Name, string Value)[] query) => Get(query, null);

    private ValueTask<WebhookVerdict> Get((string Name, string Value)[] query, string? secret)
    {
        var headers = new HeaderDictionary();
        if (secret is not null) headers[EngageWebhookHandler.SecretHeader] = secret;
        var q = new QueryCollection(query.ToDictionary(p => p.Name, p => new StringValues(p.Value)));
        return _handler.HandleAsync(new WebhookRequest("GET", q, headers, ReadOnlyMemory<byte>.Empty, DateTimeOffset.UtcNow), Tenant, CancellationToken.None);
    }

    private ValueTask<WebhookVerdict> Post(JsonObject envelope, string? secret = Secret) =>
        PostRaw(Encoding.UTF8.GetBytes(envelope.ToJsonString()), secret);

    private ValueTask<WebhookVerdict> PostRaw(byte[] body, string? secret)
    {
        var headers = new HeaderDictionary { ["Content-Type"] = "application/json" };
        if (secret is not null) headers[EngageWebhookHandler.SecretHeader] = secret;
        return _handler.HandleAsync(new WebhookRequest("POST", QueryCollection.Empty, headers, body, DateTimeOffset.UtcNow), Tenant, CancellationToken.None);
    }
}
