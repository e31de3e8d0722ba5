using System.Text;
using System.Text.Json.Nodes;
using Conversations.Gateway.Webhooks.Chatwoot;
using Conversations.Platforms;

namespace Conversations.Gateway.Tests.Chatwoot;

public sealed class ChatwootEventTests
{
    private readonly ChatwootHandlerHarness _h = new();

    [Fact]
    public async Task Incoming_text_is_a_customer_message_for_account_and_display_id_with_context()
    {
        var verdict = await _h.SignedAsync(ChatwootHandlerHarness.Fixture("message_created.incoming_text"));
        var delivery = Assert.Single(verdict.Deliveries);
        Assert.Equal(new ConversationKey("acme", "7:87"), delivery.Key);
        Assert.Equal("message_created:90001", delivery.Message.DedupeKey);
        Assert.Equal("chatwoot.message_created", delivery.Message.Type);

        var e = ChatwootHandlerHarness.Event(verdict);
        Assert.Equal(EventKind.CustomerMessage, e.Kind);
        Assert.Equal("Hi, my order #5531 hasn't arrived yet", e.Text);
        Assert.Equal("pending", e.PlatformStatus);
        Assert.Equal("Maria Lopez", e.Author);
        Assert.Equal(DateTimeOffset.Parse("2026-03-10T13:02:11.401Z"), e.OccurredAt);
        Assert.Equal("7", e.Data[ChatwootKeys.AccountId]);
        Assert.Equal("87", e.Data[ChatwootKeys.ConversationId]);
        Assert.Equal("12", e.Data[ChatwootKeys.InboxId]);
        Assert.Equal("Maria Lopez", e.Context[ChatwootKeys.ContactName]);
        Assert.Equal("maria.lopez@example.org", e.Context[ChatwootKeys.ContactEmail]);
        Assert.Equal("Website Chat", e.Context[ChatwootKeys.InboxName]);
        Assert.Equal("Channel::WebWidget", e.Context[ChatwootKeys.Channel]);
        Assert.Equal("https://shop.example.com/orders/5531", e.Context[ChatwootKeys.Referer]);
    }

    [Fact]
    public async Task Custom_attributes_labels_and_phone_reach_the_context()
    {
        var json = ChatwootHandlerHarness.FixtureJson("message_created.incoming_text");
        json["sender"]!["phone_number"] = "+34600000000";
        json["sender"]!["custom_attributes"] = new JsonObject { ["plan"] = "gold", ["orders"] = 4 };
        json["conversation"]!["custom_attributes"] = new JsonObject { ["order_id"] = "5531" };
        json["conversation"]!["labels"] = new JsonArray("shipping", "vip");
        var e = ChatwootHandlerHarness.Event(await _h.SignedAsync(ChatwootHandlerHarness.Bytes(json)));
        Assert.Equal("+34600000000", e.Context[ChatwootKeys.ContactPhone]);
        Assert.Equal("gold", e.Context["contact.custom.plan"]);
        Assert.Equal("4", e.Context["contact.custom.orders"]);
        Assert.Equal("5531", e.Context["conversation.custom.order_id"]);
        Assert.Equal("shipping, vip", e.Context[ChatwootKeys.Labels]);
    }

    [Fact]
    public async Task Html_content_reaches_the_ai_as_plain_text()
    {
        var json = ChatwootHandlerHarness.FixtureJson("message_created.incoming_text");
        json["content"] = "<p>Hi, my order <strong>#5531</strong> &amp; more</p>\n<p>Thanks</p>\n";
        var e = ChatwootHandlerHarness.Event(await _h.SignedAsync(ChatwootHandlerHarness.Bytes(json)));
        Assert.Equal("Hi, my order #5531 & more\n\nThanks", e.Text);
    }

    [Fact]
    public async Task Own_echo_is_a_bot_echo()
    {
        var e = ChatwootHandlerHarness.Event(await _h.SignedAsync(ChatwootHandlerHarness.Fixture("message_created.outgoing_bot_echo")));
        Assert.Equal(EventKind.BotEcho, e.Kind);
    }

    [Fact]
    public async Task Another_bots_public_message_counts_as_someone_else_answering_when_bot_identity_is_set()
    {
        var h = new ChatwootHandlerHarness(t => t.BotIdentity = "99");
        var e = ChatwootHandlerHarness.Event(await h.SignedAsync(ChatwootHandlerHarness.Fixture("message_created.outgoing_bot_echo")));
        Assert.Equal(EventKind.AgentMessage, e.Kind);
    }

    [Fact]
    public async Task Human_agent_reply_is_an_agent_message()
    {
        var json = AgentReply();
        var e = ChatwootHandlerHarness.Event(await _h.SignedAsync(ChatwootHandlerHarness.Bytes(json)));
        Assert.Equal(EventKind.AgentMessage, e.Kind);
        Assert.Equal("Daniel Park", e.Author);
        Assert.Equal("Hi Maria, Daniel here", e.Text);
    }

    [Fact]
    public async Task Private_note_is_a_private_note()
    {
        var json = AgentReply();
        json["private"] = true;
        Assert.Equal(EventKind.PrivateNote, ChatwootHandlerHarness.Event(await _h.SignedAsync(ChatwootHandlerHarness.Bytes(json))).Kind);
    }

    [Fact]
    public async Task Template_message_is_other()
    {
        var json = ChatwootHandlerHarness.FixtureJson("message_created.outgoing_bot_echo");
        json["message_type"] = "template";
        json["content_type"] = "input_csat";
        json["sender"] = null;
        Assert.Equal(EventKind.Other, ChatwootHandlerHarness.Event(await _h.SignedAsync(ChatwootHandlerHarness.Bytes(json))).Kind);
    }

    [Fact]
    public async Task Input_select_click_is_the_customers_answer()
    {
        var verdict = await _h.SignedAsync(ChatwootHandlerHarness.Fixture("message_updated.input_select_submitted"));
        var delivery = Assert.Single(verdict.Deliveries);
        Assert.StartsWith("message_updated:90003:submitted:", delivery.Message.DedupeKey);
        var e = ChatwootHandlerHarness.Event(verdict);
        Assert.Equal(EventKind.CustomerMessage, e.Kind);
        Assert.Equal("Talk to a human", e.Text);
        Assert.Equal("Maria Lopez", e.Author);
        Assert.Equal("true", e.Data[ChatwootKeys.Submitted]);
        Assert.Equal(DateTimeOffset.Parse("2026-03-10T13:02:42.207Z"), e.OccurredAt);
    }

    [Fact]
    public async Task Form_submission_becomes_name_value_lines()
    {
        var json = ChatwootHandlerHarness.FixtureJson("message_updated.input_select_submitted");
        json["content_type"] = "form";
        json["content_attributes"] = new JsonObject
        {
            ["items"] = new JsonArray(new JsonObject { ["name"] = "email", ["type"] = "email", ["label"] = "Email" }),
            ["submitted_values"] = new JsonArray(new JsonObject { ["name"] = "email", ["value"] = "maria@example.org" }, new JsonObject { ["name"] = "order", ["value"] = "5531" }),
        };
        var e = ChatwootHandlerHarness.Event(await _h.SignedAsync(ChatwootHandlerHarness.Bytes(json)));
        Assert.Equal(EventKind.CustomerMessage, e.Kind);
        Assert.Equal("email: maria@example.org\norder: 5531", e.Text);
    }

    [Fact]
    public async Task Email_submission_becomes_the_email()
    {
        var json = ChatwootHandlerHarness.FixtureJson("message_updated.input_select_submitted");
        json["content_type"] = "input_email";
        json["content_attributes"] = new JsonObject { ["submitted_email"] = "maria@example.org" };
        var e = ChatwootHandlerHarness.Event(await _h.SignedAsync(ChatwootHandlerHarness.Bytes(json)));
        Assert.Equal(EventKind.CustomerMessage, e.Kind);
        Assert.Equal("maria@example.org", e.Text);
    }

    [Fact]
    public async Task Deletion_receipt_and_csat_updates_are_other()
    {
        var deleted = ChatwootHandlerHarness.FixtureJson("message_created.incoming_text");
        deleted["event"] = "message_updated";
        deleted["content"] = "This message was deleted";
        deleted["content_attributes"] = new JsonObject { ["deleted"] = true };
        Assert.Equal(EventKind.Other, ChatwootHandlerHarness.Event(await _h.SignedAsync(ChatwootHandlerHarness.Bytes(deleted))).Kind);

        var receipt = ChatwootHandlerHarness.FixtureJson("message_created.outgoing_bot_echo");
        receipt["event"] = "message_updated";
        Assert.Equal(EventKind.Other, ChatwootHandlerHarness.Event(await _h.SignedAsync(ChatwootHandlerHarness.Bytes(receipt))).Kind);

        var csat = ChatwootHandlerHarness.FixtureJson("message_created.outgoing_bot_echo");
        csat["event"] = "message_updated";
        csat["content_type"] = "input_csat";
        csat["message_type"] = "template";
        csat["content_attributes"] = new JsonObject { ["submitted_values"] = new JsonObject { ["csat_survey_response"] = new JsonObject { ["rating"] = 5 } } };
        Assert.Equal(EventKind.Other, ChatwootHandlerHarness.Event(await _h.SignedAsync(ChatwootHandlerHarness.Bytes(csat))).Kind);
    }

    [Fact]
    public async Task Conversation_events_use_the_inbox_account_map_learned_from_messages()
    {
        var statusChanged = ChatwootHandlerHarness.FixtureJson("conversation_status_changed.to_pending");
        statusChanged["messages"] = new JsonArray();
        // Nothing learned yet: accepted and ignored.
        var unknown = await _h.SignedAsync(ChatwootHandlerHarness.Bytes(statusChanged));
        Assert.Equal(200, unknown.StatusCode);
        Assert.Empty(unknown.Deliveries);

        await _h.SignedAsync(ChatwootHandlerHarness.Fixture("message_created.incoming_text"));
        Assert.Equal("7", await _h.Store.GetValueAsync("acme", ChatwootInboxAccounts.StoreName("12"), CancellationToken.None));

        // A fresh handler (another gateway, or after a restart) reads the map from the store.
        var other = new Conversations.Gateway.Webhooks.Chatwoot.ChatwootWebhookHandler(new ChatwootInboxAccounts(_h.Store), Microsoft.Extensions.Logging.Abstractions.NullLogger<ChatwootWebhookHandler>.Instance);
        var body = ChatwootHandlerHarness.Bytes(statusChanged);
        var ts = ChatwootHandlerHarness.Now.ToUnixTimeSeconds();
        var headers = new Microsoft.AspNetCore.Http.HeaderDictionary
        {
            [ChatwootSignature.TimestampHeader] = ts.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [ChatwootSignature.SignatureHeader] = ChatwootSignature.Sign(ChatwootHandlerHarness.Secret, ts, body),
        };
        var verdict = await other.HandleAsync(new Conversations.Gateway.Webhooks.WebhookRequest("POST", new Microsoft.AspNetCore.Http.QueryCollection(), headers, body, ChatwootHandlerHarness.Now), _h.Tenant, CancellationToken.None);
        var delivery = Assert.Single(verdict.Deliveries);
        Assert.Equal("7:87", delivery.Key.ConversationId);
        var e = ChatwootHandlerHarness.Event(verdict);
        Assert.Equal(EventKind.StatusChanged, e.Kind);
        Assert.Equal("pending", e.PlatformStatus);
        Assert.Equal("7", e.Data[ChatwootKeys.AccountId]);
    }

    [Fact]
    public async Task Status_changed_with_a_last_message_knows_its_account()
    {
        var e = ChatwootHandlerHarness.Event(await _h.SignedAsync(ChatwootHandlerHarness.Fixture("conversation_status_changed.to_pending")));
        Assert.Equal(EventKind.StatusChanged, e.Kind);
        Assert.Equal("pending", e.PlatformStatus);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1773148331200), e.OccurredAt);
    }

    [Fact]
    public async Task Resolved_and_opened_events()
    {
        var resolved = ChatwootHandlerHarness.Event(await _h.SignedAsync(ChatwootHandlerHarness.Fixture("conversation_resolved")));
        Assert.Equal(EventKind.Resolved, resolved.Kind);
        Assert.Equal("resolved", resolved.PlatformStatus);

        var opened = ChatwootHandlerHarness.FixtureJson("conversation_resolved");
        opened["event"] = "conversation_opened";
        opened["status"] = "open";
        var e = ChatwootHandlerHarness.Event(await _h.SignedAsync(ChatwootHandlerHarness.Bytes(opened)));
        Assert.Equal(EventKind.StatusChanged, e.Kind);
        Assert.Equal("open", e.PlatformStatus);
    }

    [Fact]
    public async Task Conversation_updated_is_a_status_change_only_when_the_status_changed()
    {
        var labels = ChatwootHandlerHarness.FixtureJson("conversation_status_changed.to_pending");
        labels["event"] = "conversation_updated";
        labels["changed_attributes"] = new JsonArray(new JsonObject { ["label_list"] = new JsonObject { ["previous_value"] = new JsonArray(), ["current_value"] = new JsonArray("vip") } });
        Assert.Equal(EventKind.Other, ChatwootHandlerHarness.Event(await _h.SignedAsync(ChatwootHandlerHarness.Bytes(labels))).Kind);

        var status = ChatwootHandlerHarness.FixtureJson("conversation_status_changed.to_pending");
        status["event"] = "conversation_updated";
        status["updated_at"] = 1773148399.5;
        Assert.Equal(EventKind.StatusChanged, ChatwootHandlerHarness.Event(await _h.SignedAsync(ChatwootHandlerHarness.Bytes(status))).Kind);
    }

    [Fact]
    public async Task Webwidget_triggered_with_a_conversation_is_recorded_and_without_one_ignored()
    {
        var widget = new JsonObject
        {
            ["id"] = 5120,
            ["contact"] = new JsonObject { ["id"] = 4321, ["name"] = "Maria Lopez", ["email"] = "maria.lopez@example.org" },
            ["inbox"] = new JsonObject { ["id"] = 12, ["name"] = "Website Chat" },
            ["account"] = new JsonObject { ["id"] = 7, ["name"] = "Acme Support" },
            ["current_conversation"] = ChatwootHandlerHarness.FixtureJson("conversation_resolved"),
            ["source_id"] = "6f1d2c8e",
            ["event"] = "webwidget_triggered",
            ["event_info"] = new JsonObject { ["referer"] = "https://shop.example.com/" },
        };
        widget["current_conversation"]!.AsObject().Remove("event");
        var verdict = await _h.SignedAsync(ChatwootHandlerHarness.Bytes(widget));
        Assert.Equal("7:87", Assert.Single(verdict.Deliveries).Key.ConversationId);
        var e = ChatwootHandlerHarness.Event(verdict);
        Assert.Equal(EventKind.Other, e.Kind);
        Assert.Null(e.PlatformStatus);
        Assert.Equal("Maria Lopez", e.Context[ChatwootKeys.ContactName]);

        widget["current_conversation"] = null;
        var none = await _h.SignedAsync(ChatwootHandlerHarness.Bytes(widget));
        Assert.Equal(200, none.StatusCode);
        Assert.Empty(none.Deliveries);
    }

    [Fact]
    public async Task Unknown_event_types_are_accepted_and_ignored()
    {
        var verdict = await _h.SignedAsync("{\"event\":\"conversation_typing_on\",\"id\":1}"u8.ToArray());
        Assert.Equal(200, verdict.StatusCode);
        Assert.Empty(verdict.Deliveries);
    }

    [Theory]
    [InlineData("{not json")]
    [InlineData("[1,2]")]
    [InlineData("{\"id\":1}")]
    [InlineData("")]
    public async Task Malformed_bodies_are_400(string body)
    {
        var verdict = await _h.SignedAsync(Encoding.UTF8.GetBytes(body));
        Assert.Equal(400, verdict.StatusCode);
        Assert.Empty(verdict.Deliveries);
    }

    [Fact]
    public async Task Dedupe_keys_prefer_message_ids_for_created_and_the_signed_body_elsewhere()
    {
        var body = ChatwootHandlerHarness.Fixture("message_created.incoming_text");
        var a = await _h.SignedAsync(body, delivery: "d-1");
        var b = await _h.SignedAsync(body, delivery: "d-2");
        Assert.Equal(a.Deliveries[0].Message.DedupeKey, b.Deliveries[0].Message.DedupeKey);

        var status = ChatwootHandlerHarness.Fixture("conversation_status_changed.to_pending");
        // Not the delivery id: it is outside the signature (issue 13.2, ChatwootReplayTests).
        Assert.Equal((await _h.SignedAsync(status)).Deliveries[0].Message.DedupeKey, (await _h.SignedAsync(status, delivery: "d-3")).Deliveries[0].Message.DedupeKey);
        var withoutDelivery = (await _h.SignedAsync(status)).Deliveries[0].Message.DedupeKey;
        Assert.Equal(withoutDelivery, (await _h.SignedAsync(status)).Deliveries[0].Message.DedupeKey);
        Assert.StartsWith("conversation_status_changed:87:pending:", withoutDelivery);

        // Two different updates of one message are two events; the same update twice is one.
        var receipt = ChatwootHandlerHarness.FixtureJson("message_created.outgoing_bot_echo");
        receipt["event"] = "message_updated";
        var first = (await _h.SignedAsync(ChatwootHandlerHarness.Bytes(receipt))).Deliveries[0].Message.DedupeKey;
        receipt["content_attributes"] = new JsonObject { ["deleted"] = true };
        var second = (await _h.SignedAsync(ChatwootHandlerHarness.Bytes(receipt))).Deliveries[0].Message.DedupeKey;
        Assert.NotEqual(first, second);
    }

    [Fact]
    public async Task Non_post_is_refused()
    {
        var verdict = await _h.SendAsync([], method: "GET");
        Assert.Equal(405, verdict.StatusCode);
    }

    private static JsonObject AgentReply()
    {
        var json = ChatwootHandlerHarness.FixtureJson("message_created.outgoing_bot_echo");
        json["id"] = 90005;
        json["content"] = "Hi Maria, Daniel here";
        json["sender"] = new JsonObject { ["id"] = 15, ["name"] = "Daniel Park", ["email"] = "daniel@example.com", ["type"] = "user" };
        return json;
    }
}
