using System.Text.Json.Nodes;
using Conversations.TestSupport.Http;
using P = Conversations.EndToEnd.Chatwoot.ChatwootPayloads;

namespace Conversations.EndToEnd.Chatwoot;

/// <summary>The bot's behaviour on the real path: webhook in, turn, REST calls to the fake Chatwoot.</summary>
public sealed class ChatwootBotTests
{
    private static readonly Dictionary<string, string> OrderRules = new()
    {
        ["Ai:Rules:0:Pattern"] = "^track",
        ["Ai:Rules:0:Reply"] = "Your parcel is on its way.",
        ["Ai:Rules:1:Pattern"] = "order",
        ["Ai:Rules:1:Reply"] = "What can I help you with? {{contact.name}}",
        ["Ai:Rules:1:Buttons:0"] = "Track my order=track_order",
        ["Ai:Rules:1:Buttons:1"] = "Return an item=return_item",
        ["Ai:Rules:2:Pattern"] = "refund",
        ["Ai:Rules:2:Reply"] = "A colleague will handle your refund.",
        ["Ai:Rules:2:Handoff"] = "true",
        ["Ai:Rules:3:Pattern"] = ".",
        ["Ai:Rules:3:Reply"] = "Noted.",
    };

    private const string RulesFallback = Conversations.Grains.Ai.Rules.RulesConnector.FallbackReply;

    [Fact]
    public async Task A_customer_message_is_answered_with_typing_on_then_off_and_the_bot_token()
    {
        await using var world = await ChatwootWorld.StartAsync();
        await world.PostOkAsync(P.Incoming("hi there"));

        var reply = Assert.Single(await world.WaitChatwootAsync("messages"));
        var body = reply.Json();
        Assert.Equal("Hello! How can I help you today?", body.GetProperty("content").GetString());
        Assert.Equal("outgoing", body.GetProperty("message_type").GetString());
        Assert.False(body.GetProperty("private").GetBoolean());
        Assert.Equal(ChatwootWorld.ApiToken, reply.Header("api_access_token"));

        var typing = world.ChatwootCalls("toggle_typing_status");
        Assert.Equal(["on", "off"], typing.Select(t => t.Json().GetProperty("typing_status").GetString()));
        Assert.True(typing[0].ReceivedAt <= reply.ReceivedAt);
    }

    [Fact]
    public async Task Buttons_become_input_select_and_a_click_is_the_customers_answer()
    {
        await using var world = await ChatwootWorld.StartAsync(OrderRules);
        await world.PostOkAsync(P.Incoming("question about my order"));
        var select = (await world.WaitChatwootAsync("messages"))[0].Json();
        Assert.Equal("input_select", select.GetProperty("content_type").GetString());
        Assert.Equal("What can I help you with? {\u200B{contact.name}}", select.GetProperty("content").GetString());
        var items = select.GetProperty("content_attributes").GetProperty("items");
        Assert.Equal("Track my order", items[0].GetProperty("title").GetString());
        Assert.Equal("track_order", items[0].GetProperty("value").GetString());

        await world.PostOkAsync(P.SelectSubmitted("Track my order", "track_order"));
        var answers = await world.WaitChatwootAsync("messages", 2);
        Assert.Equal("Your parcel is on its way.", answers[1].Json().GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_form_submission_is_the_customers_answer()
    {
        await using var world = await ChatwootWorld.StartAsync(new() { ["Ai:Rules:0:Pattern"] = "email: (\\S+)", ["Ai:Rules:0:Reply"] = "Thanks, got your details." });
        await world.PostOkAsync(P.FormSubmitted(("email", "maria@example.org"), ("order", "5531")));
        var reply = (await world.WaitChatwootAsync("messages"))[0].Json();
        Assert.Equal("Thanks, got your details.", reply.GetProperty("content").GetString());
    }

    public static TheoryData<string> IgnoredEvents => ["bot_echo", "private_note", "template", "receipt", "deleted", "widget", "widget_without_conversation", "open_conversation", "unknown_event", "labels_updated"];

    [Theory]
    [MemberData(nameof(IgnoredEvents))]
    public async Task Events_the_bot_must_not_answer_are_accepted_and_ignored(string which)
    {
        await using var world = await ChatwootWorld.StartAsync();
        JsonNode ignored = which switch
        {
            "bot_echo" => P.BotEcho("Hello! How can I help you today?"),
            "private_note" => P.PrivateNote("customer is VIP, be nice"),
            "template" => P.Template("Please rate the conversation"),
            "receipt" => P.Receipt(P.NextId(), "Hello!"),
            "deleted" => P.Deleted(P.NextId()),
            "widget" => P.WidgetTriggered(P.Conversation("pending")),
            "widget_without_conversation" => P.WidgetTriggered(null),
            "open_conversation" => P.Incoming("hi, anyone?", status: "open", conversation: 88),
            "unknown_event" => new JsonObject { ["event"] = "conversation_typing_on", ["id"] = 87 },
            "labels_updated" => P.ConversationEvent("conversation_updated", "pending", changed: new JsonArray(new JsonObject { ["label_list"] = new JsonObject { ["current_value"] = new JsonArray("vip") } })),
            _ => throw new ArgumentOutOfRangeException(nameof(which)),
        };
        await world.PostOkAsync(ignored);

        // Barrier: a real question afterwards is answered; anything the ignored event caused would have come first.
        await world.PostOkAsync(P.Incoming("hello"));
        var replies = await world.WaitChatwootAsync("messages");
        await Task.Delay(200);
        Assert.Single(world.ChatwootCalls("messages"));
        Assert.Empty(world.ChatwootCalls("messages", conversation: 88));
        Assert.Empty(world.ChatwootCalls("toggle_status"));
        Assert.Equal("Hello! How can I help you today?", replies[0].Json().GetProperty("content").GetString());
    }

    [Fact]
    public async Task Duplicate_deliveries_are_answered_once()
    {
        await using var world = await ChatwootWorld.StartAsync();
        var message = P.Incoming("hello");
        await world.PostOkAsync(message, delivery: "d-1");
        await world.PostOkAsync(message, delivery: "d-1");
        await world.PostOkAsync(message, delivery: "d-2");
        using var again = await world.PostAsync(message);
        var ack = JsonNode.Parse(await again.Content.ReadAsStringAsync())!;
        Assert.Equal(1, ack["duplicates"]!.GetValue<int>());

        // The answer itself is waited for in its own conversation; the barrier in another one only bounds the "no second answer" check.
        await world.WaitChatwootAsync("messages");
        await world.PostOkAsync(P.Incoming("thanks", conversation: 89));
        await world.WaitChatwootAsync("messages", conversation: 89);
        await Task.Delay(200);
        Assert.Single(world.ChatwootCalls("messages"));
    }

    [Fact]
    public async Task Keyword_handoff_posts_a_private_note_then_opens_the_conversation()
    {
        await using var world = await ChatwootWorld.StartAsync();
        await world.PostOkAsync(P.Incoming("hi"));
        await world.WaitChatwootAsync("messages");
        await world.PostOkAsync(P.Incoming("I want to talk to a human"));

        await world.WaitChatwootAsync("toggle_status");
        AssertHandoff(world, "asked for a human", expectNotes: 1);
        Assert.Contains("Customer: hi", world.Messages()[1]!["content"]!.GetValue<string>());
    }

    [Fact]
    public async Task Input_select_talk_to_a_human_hands_off()
    {
        await using var world = await ChatwootWorld.StartAsync();
        await world.PostOkAsync(P.SelectSubmitted("Talk to a human", "human"));
        await world.WaitChatwootAsync("toggle_status");
        AssertHandoff(world, "asked for a human", expectNotes: 1);
    }

    [Fact]
    public async Task Max_bot_turns_hands_off()
    {
        await using var world = await ChatwootWorld.StartAsync(new() { ["Handoff:MaxBotTurns"] = "2" });
        for (var i = 1; i <= 2; i++)
        {
            await world.PostOkAsync(P.Incoming($"question {i}"));
            await world.WaitChatwootAsync("messages", i);
        }
        await world.PostOkAsync(P.Incoming("question 3"));
        await world.WaitChatwootAsync("toggle_status");
        AssertHandoff(world, "MaxBotTurns", expectNotes: 1);
        Assert.Equal(3, world.Messages().Count);
    }

    [Fact]
    public async Task Ai_handoff_flag_posts_the_reply_then_the_note_then_opens()
    {
        await using var world = await ChatwootWorld.StartAsync(OrderRules);
        await world.PostOkAsync(P.Incoming("I need a refund"));
        await world.WaitChatwootAsync("toggle_status");
        var messages = world.Messages();
        Assert.Equal("A colleague will handle your refund.", messages[0]!["content"]!.GetValue<string>());
        AssertHandoff(world, "AI asked for a human", expectNotes: 1);
    }

    [Fact]
    public async Task A_human_reply_while_pending_makes_the_bot_stand_down()
    {
        await using var world = await ChatwootWorld.StartAsync();
        await world.PostOkAsync(P.Incoming("hi"));
        await world.WaitChatwootAsync("messages");
        await world.PostOkAsync(P.AgentReply("Daniel here, I'll take it from here"));
        var open = Assert.Single(await world.WaitChatwootAsync("toggle_status"));
        Assert.Equal("open", open.Json().GetProperty("status").GetString());

        // Chatwoot had not caught up yet: this message still says pending. The bot stays silent.
        await world.PostOkAsync(P.Incoming("thanks Daniel"));
        await world.PostOkAsync(P.Incoming("one more thing", status: "open"));
        await world.PostOkAsync(P.Incoming("barrier", conversation: 90));
        await world.WaitChatwootAsync("messages", conversation: 90);
        await Task.Delay(200);
        Assert.Single(world.ChatwootCalls("messages"));
    }

    [Fact]
    public async Task Push_back_by_status_change_returns_the_conversation_to_the_bot()
    {
        await using var world = await ChatwootWorld.StartAsync();
        await world.PostOkAsync(P.Incoming("agent please"));
        await world.WaitChatwootAsync("toggle_status");
        await world.PostOkAsync(P.ConversationEvent("conversation_opened", "open"));
        await world.PostOkAsync(P.AgentReply("Daniel here", status: "open"));
        await world.PostOkAsync(P.Incoming("my order is 5531", status: "open"));
        await world.PostOkAsync(P.StatusChanged("open", "pending", at: DateTimeOffset.UtcNow.AddMilliseconds(50)));
        await world.PostOkAsync(P.Incoming("hello again bot", at: DateTimeOffset.UtcNow.AddMilliseconds(100)));

        var replies = await world.WaitChatwootAsync("messages", 2);
        Assert.False(replies[1].Json().GetProperty("private").GetBoolean());
        Assert.Equal(RulesFallback, replies[1].Json().GetProperty("content").GetString());
    }

    [Fact]
    public async Task Push_back_without_a_status_event_older_chatwoot_a_pending_customer_message()
    {
        await using var world = await ChatwootWorld.StartAsync();
        await world.PostOkAsync(P.Incoming("agent please"));
        await world.WaitChatwootAsync("toggle_status");
        // The platform confirmed the human side (the toggle echoes as conversation_opened)...
        await world.PostOkAsync(P.ConversationEvent("conversation_opened", "open"));
        await world.PostOkAsync(P.Incoming("still there?", status: "open"));
        // ...then an agent set it back to pending; v4.9 sends no event, only the next message says so.
        await world.PostOkAsync(P.Incoming("hello bot", status: "pending", at: DateTimeOffset.UtcNow.AddMilliseconds(50)));
        var replies = await world.WaitChatwootAsync("messages", 2);
        Assert.False(replies[1].Json().GetProperty("private").GetBoolean());
        Assert.Equal(RulesFallback, replies[1].Json().GetProperty("content").GetString());
    }

    [Fact]
    public async Task Push_back_by_conversation_updated_with_a_status_change()
    {
        await using var world = await ChatwootWorld.StartAsync();
        await world.PostOkAsync(P.Incoming("agent please"));
        await world.WaitChatwootAsync("toggle_status");
        await world.PostOkAsync(P.ConversationEvent("conversation_updated", "pending", at: DateTimeOffset.UtcNow.AddMilliseconds(50),
            changed: new JsonArray(new JsonObject { ["status"] = new JsonObject { ["previous_value"] = "open", ["current_value"] = "pending" } })));
        await world.PostOkAsync(P.Incoming("hi", at: DateTimeOffset.UtcNow.AddMilliseconds(100)));
        var replies = await world.WaitChatwootAsync("messages", 2);
        Assert.False(replies[1].Json().GetProperty("private").GetBoolean());
    }

    [Fact]
    public async Task An_email_submission_is_the_customers_answer()
    {
        await using var world = await ChatwootWorld.StartAsync(new() { ["Ai:Rules:0:Pattern"] = "@example\\.org", ["Ai:Rules:0:Reply"] = "Thanks, we will write to you." });
        var submission = P.SelectSubmitted("x", "x");
        submission["content_type"] = "input_email";
        submission["content_attributes"] = new JsonObject { ["submitted_email"] = "maria@example.org" };
        await world.PostOkAsync(submission);
        var reply = (await world.WaitChatwootAsync("messages"))[0].Json();
        Assert.Equal("Thanks, we will write to you.", reply.GetProperty("content").GetString());
    }

    [Fact]
    public async Task After_resolution_a_new_customer_message_starts_a_new_bot_episode()
    {
        await using var world = await ChatwootWorld.StartAsync();
        await world.PostOkAsync(P.Incoming("hi"));
        await world.WaitChatwootAsync("messages");
        await world.PostOkAsync(P.ConversationEvent("conversation_resolved", "resolved"));
        await world.PostOkAsync(P.Incoming("hello, me again", at: DateTimeOffset.UtcNow.AddMilliseconds(50)));
        await world.WaitChatwootAsync("messages", 2);
    }

    [Fact]
    public async Task Global_bot_keeps_accounts_apart()
    {
        await using var world = await ChatwootWorld.StartAsync();
        await world.PostOkAsync(P.Incoming("hi", account: 7, inbox: 12));
        await world.PostOkAsync(P.Incoming("hi", account: 8, inbox: 30));
        await world.WaitChatwootAsync("messages", account: 7);
        await world.WaitChatwootAsync("messages", account: 8);

        // A conversation event carries no account: the inbox tells which one.
        await world.PostOkAsync(P.Incoming("agent", account: 8, inbox: 30));
        await world.WaitChatwootAsync("toggle_status", account: 8);
        await world.PostOkAsync(P.ConversationEvent("conversation_opened", "open", inbox: 30));
        await world.PostOkAsync(Inbox(P.StatusChanged("open", "pending", at: DateTimeOffset.UtcNow.AddMilliseconds(50)), 30));
        await world.PostOkAsync(P.Incoming("back", account: 8, inbox: 30, at: DateTimeOffset.UtcNow.AddMilliseconds(100)));
        var replies = await world.WaitChatwootAsync("messages", 3, account: 8);
        Assert.Equal(RulesFallback, replies[^1].Json().GetProperty("content").GetString());
        Assert.Single(world.ChatwootCalls("messages", account: 7));
    }

    [Fact]
    public async Task Agent_assist_posts_a_private_suggestion_in_human_mode_only_when_enabled()
    {
        await using var world = await ChatwootWorld.StartAsync(new() { ["Chatwoot:Assist"] = "true" });
        await world.PostOkAsync(P.ConversationEvent("conversation_opened", "open"));
        await world.PostOkAsync(P.Incoming("hi, can I return an item?", status: "open", at: DateTimeOffset.UtcNow.AddMilliseconds(50)));
        var note = (await world.WaitChatwootAsync("messages"))[0].Json();
        Assert.True(note.GetProperty("private").GetBoolean());
        Assert.StartsWith("Suggested answer (AI):", note.GetProperty("content").GetString());
        Assert.Empty(world.ChatwootCalls("toggle_status"));
    }

    [Fact]
    public async Task Assist_is_off_by_default()
    {
        await using var world = await ChatwootWorld.StartAsync();
        await world.PostOkAsync(P.Incoming("hi, can I return an item?", status: "open"));
        await world.PostOkAsync(P.Incoming("barrier", conversation: 91));
        await world.WaitChatwootAsync("messages", conversation: 91);
        await Task.Delay(200);
        Assert.Empty(world.ChatwootCalls("messages"));
    }

    [Fact]
    public async Task Typing_refused_with_401_is_not_tried_again_for_the_tenant()
    {
        await using var world = await ChatwootWorld.StartAsync();
        world.Chatwoot.On(r => r.Path.EndsWith("/toggle_typing_status", StringComparison.Ordinal), _ => LoopbackResponse.Status(401));
        await world.PostOkAsync(P.Incoming("hi"));
        await world.WaitChatwootAsync("messages");
        await world.PostOkAsync(P.Incoming("hi", conversation: 92));
        await world.WaitChatwootAsync("messages", conversation: 92);
        Assert.Single(world.Chatwoot.Requests, r => r.Path.EndsWith("/toggle_typing_status", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Typing_refused_with_404_is_tolerated()
    {
        await using var world = await ChatwootWorld.StartAsync();
        world.Chatwoot.On(r => r.Path.EndsWith("/toggle_typing_status", StringComparison.Ordinal), _ => LoopbackResponse.Status(404));
        await world.PostOkAsync(P.Incoming("hi"));
        await world.WaitChatwootAsync("messages");
    }

    [Fact]
    public async Task A_hanging_typing_endpoint_does_not_hold_the_answer()
    {
        await using var world = await ChatwootWorld.StartAsync();
        world.Chatwoot.On(r => r.Path.EndsWith("/toggle_typing_status", StringComparison.Ordinal), _ => LoopbackResponse.Json("{}").After(TimeSpan.FromSeconds(20)));
        var started = DateTimeOffset.UtcNow;
        await world.PostOkAsync(P.Incoming("hi"));
        // The typing call hangs 20 s: an answer that waited for it could not arrive within these bounds, however slow the machine.
        var reply = (await world.WaitChatwootAsync("messages", timeout: TimeSpan.FromSeconds(19)))[0];
        Assert.True(reply.ReceivedAt - started < TimeSpan.FromSeconds(15), $"answered after {(reply.ReceivedAt - started).TotalSeconds:F1} s");
        // After the timeout the tenant's typing pauses: one attempt only, no "off" after a hanging "on".
        Assert.Single(world.Chatwoot.Requests, r => r.Path.EndsWith("/toggle_typing_status", StringComparison.Ordinal));
    }

    internal static void AssertHandoff(ChatwootWorld world, string reason, int expectNotes)
    {
        var notes = world.Messages().Where(m => m!["private"]!.GetValue<bool>()).ToList();
        Assert.Equal(expectNotes, notes.Count);
        var note = notes[^1]!["content"]!.GetValue<string>();
        Assert.Contains("Handed off to a human agent.", note);
        Assert.Contains(reason, note);
        var status = Assert.Single(world.ChatwootCalls("toggle_status"));
        Assert.Equal("open", status.Json().GetProperty("status").GetString());
        var noteCall = world.ChatwootCalls("messages").Last(r => r.Json().GetProperty("private").GetBoolean());
        Assert.True(noteCall.ReceivedAt <= status.ReceivedAt, "the note is posted before the status changes");
    }

    private static JsonObject Inbox(JsonObject conversationEvent, int inbox)
    {
        conversationEvent["inbox_id"] = inbox;
        return conversationEvent;
    }
}
