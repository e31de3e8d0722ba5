using System.Text.Json.Nodes;
using Conversations.TestSupport.Http;
using P = Conversations.EndToEnd.Chatwoot.ChatwootPayloads;

namespace Conversations.EndToEnd.Chatwoot;

/// <summary>Real AI connectors against fake engines on loopback, through the whole silo.</summary>
public sealed class ChatwootAiTests
{
    private static Dictionary<string, string> OpenAi(params (string, string)[] extra)
    {
        var settings = new Dictionary<string, string> { ["Ai:Kind"] = "OpenAi", ["Ai:Model"] = "test-model", ["Ai:ApiKey"] = "sk-test", ["Ai:SystemPrompt"] = "You are Acme's assistant." };
        foreach (var (k, v) in extra) settings[k] = v;
        return settings;
    }

    [Fact]
    public async Task OpenAi_gets_the_transcript_system_prompt_and_customer_context()
    {
        await using var world = await ChatwootWorld.StartAsync(OpenAi(), ai => FakeAi.EchoOpenAi(ai));
        await world.PostOkAsync(P.Incoming("<p>Where is <b>my</b> order?</p>"));
        var reply = (await world.WaitChatwootAsync("messages"))[0].Json();
        Assert.Equal("echo: Where is my order?", reply.GetProperty("content").GetString());

        var request = Assert.Single(world.Ai.Requests);
        Assert.Equal("Bearer sk-test", request.Header("Authorization"));
        Assert.Equal("test-model", request.Json().GetProperty("model").GetString());
        Assert.Equal("handoff_to_human", request.Json().GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());
        var system = FakeAi.SystemText(request);
        Assert.StartsWith("You are Acme's assistant.", system);
        foreach (var fact in new[] { "contact.name: Maria Lopez", "contact.email: maria.lopez@example.org", "contact.phone: +34600111222", "contact.custom.plan: gold", "conversation.custom.order_id: 5531", "conversation.labels: shipping", "inbox.name: Website Chat", "inbox.channel: Channel::WebWidget" })
            Assert.Contains(fact, system);

        await world.PostOkAsync(P.Incoming("thanks"));
        await world.WaitChatwootAsync("messages", 2);
        var second = world.Ai.Requests[1].Json().GetProperty("messages");
        Assert.Equal(["system", "user", "assistant", "user"], second.EnumerateArray().Select(m => m.GetProperty("role").GetString()));
    }

    [Fact]
    public async Task An_oversized_customer_message_reaches_the_ai_cut_at_Ai_MaxMessageChars_and_marked()
    {
        await using var world = await ChatwootWorld.StartAsync(OpenAi(), ai => FakeAi.EchoOpenAi(ai));
        var huge = "Where is my order? " + new string('x', 600_000);

        await world.PostOkAsync(P.Incoming(huge));
        await world.WaitChatwootAsync("messages");

        var request = Assert.Single(world.Ai.Requests);
        var user = FakeAi.UserText(request);
        Assert.Equal(4000, user.Length);
        Assert.StartsWith("Where is my order? xxx", user);
        Assert.EndsWith("…[cut]", user);
        Assert.True(request.Body.Length < 10_000, $"the AI request was {request.Body.Length} characters");
        var state = await world.StateAsync();
        Assert.Equal(user, state!.Transcript[0].Text);
    }

    [Fact]
    public async Task Over_Ai_MaxPromptChars_the_oldest_transcript_entries_are_left_out_first()
    {
        // 900-character messages echoed back: by the third turn five entries (about 4,500 characters) meet a 2,500 budget.
        await using var world = await ChatwootWorld.StartAsync(OpenAi(("Ai:MaxMessageChars", "1000"), ("Ai:MaxPromptChars", "2500")), ai => FakeAi.EchoOpenAi(ai));
        foreach (var (word, n) in new[] { ("first", 1), ("second", 2), ("third", 3) })
        {
            await world.PostOkAsync(P.Incoming(word + " " + new string('x', 900 - word.Length - 1)));
            await world.WaitChatwootAsync("messages", n);
        }

        var third = world.Ai.Requests[2].Json().GetProperty("messages").EnumerateArray()
            .Select(m => (Role: m.GetProperty("role").GetString(), Text: m.GetProperty("content").GetString()!)).ToList();
        Assert.Equal(["system", "assistant", "user"], third.Select(m => m.Role));
        Assert.StartsWith("echo: second", third[1].Text);
        Assert.StartsWith("third", third[2].Text);
        Assert.DoesNotContain(third, m => m.Text.Contains("first", StringComparison.Ordinal));
        // The transcript itself keeps its window: only what is sent is trimmed.
        Assert.Equal(6, (await world.StateAsync())!.Transcript.Count);
    }

    [Fact]
    public async Task OpenAi_handoff_tool_call_hands_off_with_its_reason()
    {
        await using var world = await ChatwootWorld.StartAsync(OpenAi(), ai => ai.On("POST", FakeAi.ChatCompletions, _ => FakeAi.OpenAiHandoff("customer wants a refund over the limit")));
        await world.PostOkAsync(P.Incoming("I want 2000 EUR back"));
        await world.WaitChatwootAsync("toggle_status");
        ChatwootBotTests.AssertHandoff(world, "customer wants a refund over the limit", expectNotes: 1);
    }

    [Fact]
    public async Task OpenAi_servers_without_tool_support_fall_back_to_the_text_marker()
    {
        await using var world = await ChatwootWorld.StartAsync(OpenAi(), ai => ai.On("POST", FakeAi.ChatCompletions, r =>
            r.Body.Contains("\"tools\"", StringComparison.Ordinal)
                ? LoopbackResponse.Json("{\"error\":{\"message\":\"\\\"auto\\\" tool choice requires --enable-auto-tool-choice\"}}", 400)
                : FakeAi.OpenAiText("Sorry, I cannot help with that.\n[HANDOFF] legal question")));
        await world.PostOkAsync(P.Incoming("can I sue you?"));
        await world.WaitChatwootAsync("toggle_status");
        Assert.Equal("Sorry, I cannot help with that.", world.Messages()[0]!["content"]!.GetValue<string>());
        ChatwootBotTests.AssertHandoff(world, "legal question", expectNotes: 1);
        Assert.Contains("[HANDOFF]", FakeAi.SystemText(world.Ai.Requests[1]));

        // The refusal is remembered: the next turn goes straight to the tool-less request.
        await world.PostOkAsync(P.Incoming("hello?", conversation: 93));
        await world.WaitChatwootAsync("toggle_status", conversation: 93);
        Assert.Equal(3, world.Ai.Requests.Count);
    }

    [Fact]
    public async Task Ai_500_is_retried_then_the_conversation_is_handed_off()
    {
        await using var world = await ChatwootWorld.StartAsync(OpenAi(), ai => ai.On("POST", FakeAi.ChatCompletions, _ => LoopbackResponse.Json("{\"error\":{\"message\":\"boom\"}}", 500)));
        await world.PostOkAsync(P.Incoming("hello"));
        await world.WaitChatwootAsync("toggle_status");
        Assert.Equal(2, world.Ai.Requests.Count);
        ChatwootBotTests.AssertHandoff(world, "HTTP 500", expectNotes: 1);
        Assert.DoesNotContain(world.Messages(), m => !m!["private"]!.GetValue<bool>());
    }

    [Fact]
    public async Task Ai_timeout_hands_off()
    {
        await using var world = await ChatwootWorld.StartAsync(OpenAi(("Ai:Timeout", "00:00:00.500"), ("Ai:MaxRetries", "0")),
            ai => ai.On("POST", FakeAi.ChatCompletions, _ => FakeAi.OpenAiText("too late").After(TimeSpan.FromSeconds(5))));
        await world.PostOkAsync(P.Incoming("hello"));
        await world.WaitChatwootAsync("toggle_status");
        ChatwootBotTests.AssertHandoff(world, "timed out", expectNotes: 1);
    }

    [Fact]
    public async Task Ai_429_honours_retry_after_and_then_answers()
    {
        await using var world = await ChatwootWorld.StartAsync(OpenAi(), ai =>
        {
            FakeAi.EchoOpenAi(ai);
            ai.Enqueue("POST", FakeAi.ChatCompletions, LoopbackResponse.Json("{\"error\":{\"code\":\"rate_limit_exceeded\"}}", 429).WithHeader("Retry-After", "1"));
        });
        await world.PostOkAsync(P.Incoming("hello"));
        var reply = (await world.WaitChatwootAsync("messages"))[0].Json();
        Assert.Equal("echo: hello", reply.GetProperty("content").GetString());
        Assert.Equal(2, world.Ai.Requests.Count);
        Assert.True(world.Ai.Requests[1].ReceivedAt - world.Ai.Requests[0].ReceivedAt >= TimeSpan.FromMilliseconds(950));
    }

    [Fact]
    public async Task Ai_429_for_exhausted_quota_is_not_retried()
    {
        await using var world = await ChatwootWorld.StartAsync(OpenAi(), ai =>
            ai.On("POST", FakeAi.ChatCompletions, _ => LoopbackResponse.Json("{\"error\":{\"code\":\"insufficient_quota\"}}", 429)));
        await world.PostOkAsync(P.Incoming("hello"));
        await world.WaitChatwootAsync("toggle_status");
        Assert.Single(world.Ai.Requests);
    }

    [Fact]
    public async Task Rasa_buttons_become_input_select_with_the_conversation_key_as_sender()
    {
        await using var world = await ChatwootWorld.StartAsync(new() { ["Ai:Kind"] = "Rasa" }, ai => ai.On("POST", FakeAi.RasaWebhook, r => LoopbackResponse.Json(
            "[{\"recipient_id\":\"x\",\"text\":\"Which one?\",\"buttons\":[{\"title\":\"Track\",\"payload\":\"/track\"},{\"title\":\"Return\",\"payload\":\"/return\"}]}]")));
        await world.PostOkAsync(P.Incoming("I have a question"));
        var select = (await world.WaitChatwootAsync("messages"))[0].Json();
        Assert.Equal("input_select", select.GetProperty("content_type").GetString());
        Assert.Equal("/track", select.GetProperty("content_attributes").GetProperty("items")[0].GetProperty("value").GetString());
        var request = Assert.Single(world.Ai.Requests).Json();
        Assert.Equal("acme/7:87", request.GetProperty("sender").GetString());
        Assert.Equal("I have a question", request.GetProperty("message").GetString());
        Assert.Equal("Maria Lopez", request.GetProperty("metadata").GetProperty("context").GetProperty("contact.name").GetString());
    }

    [Fact]
    public async Task Rasa_custom_handoff_payload_hands_off()
    {
        await using var world = await ChatwootWorld.StartAsync(new() { ["Ai:Kind"] = "Rasa" }, ai => ai.On("POST", FakeAi.RasaWebhook, _ => LoopbackResponse.Json(
            "[{\"recipient_id\":\"x\",\"text\":\"Connecting you with a colleague.\"},{\"recipient_id\":\"x\",\"custom\":{\"action\":\"handoff\",\"reason\":\"billing\"}}]")));
        await world.PostOkAsync(P.Incoming("billing issue"));
        await world.WaitChatwootAsync("toggle_status");
        Assert.Equal("Connecting you with a colleague.", world.Messages()[0]!["content"]!.GetValue<string>());
        ChatwootBotTests.AssertHandoff(world, "billing", expectNotes: 1);
    }

    [Fact]
    public async Task Rasa_empty_answer_hands_off()
    {
        await using var world = await ChatwootWorld.StartAsync(new() { ["Ai:Kind"] = "Rasa" }, ai => ai.On("POST", FakeAi.RasaWebhook, _ => LoopbackResponse.Json("[]")));
        await world.PostOkAsync(P.Incoming("hello"));
        await world.WaitChatwootAsync("toggle_status");
        ChatwootBotTests.AssertHandoff(world, "no answer", expectNotes: 1);
    }

    [Fact]
    public async Task Webhook_bot_contract_round_trip_with_cards()
    {
        await using var world = await ChatwootWorld.StartAsync(new() { ["Ai:Kind"] = "Webhook" }, ai => ai.On("POST", "/", _ => LoopbackResponse.Json(
            "{\"messages\":[{\"text\":\"Our bestsellers\",\"cards\":[{\"title\":\"Mug\",\"description\":\"12 oz\",\"mediaUrl\":\"https://example.com/mug.png\",\"actions\":[{\"text\":\"Buy\",\"type\":\"link\",\"uri\":\"https://example.com/mug\"}]}]}],\"handoff\":false}")));
        await world.PostOkAsync(P.Incoming("what do you sell?"));
        var cards = (await world.WaitChatwootAsync("messages"))[0].Json();
        Assert.Equal("cards", cards.GetProperty("content_type").GetString());
        var item = cards.GetProperty("content_attributes").GetProperty("items")[0];
        Assert.Equal("Mug", item.GetProperty("title").GetString());
        Assert.Equal("https://example.com/mug.png", item.GetProperty("media_url").GetString());
        Assert.Equal("https://example.com/mug", item.GetProperty("actions")[0].GetProperty("uri").GetString());

        var request = Assert.Single(world.Ai.Requests).Json();
        Assert.Equal(1, request.GetProperty("version").GetInt32());
        Assert.Equal("reply", request.GetProperty("purpose").GetString());
        Assert.Equal("7:87", request.GetProperty("conversation").GetProperty("id").GetString());
        Assert.Equal("customer", request.GetProperty("transcript")[0].GetProperty("role").GetString());
        Assert.Equal("what do you sell?", request.GetProperty("event").GetProperty("text").GetString());
    }

    [Fact]
    public async Task Ai_text_with_liquid_markers_is_escaped()
    {
        await using var world = await ChatwootWorld.StartAsync(OpenAi(), ai => ai.On("POST", FakeAi.ChatCompletions, _ => FakeAi.OpenAiText("Use {{coupon}} or {% raw %}")));
        await world.PostOkAsync(P.Incoming("discount?"));
        var reply = (await world.WaitChatwootAsync("messages"))[0].Json();
        Assert.Equal("Use {\u200B{coupon}} or {\u200B% raw %}", reply.GetProperty("content").GetString());
    }

    [Fact]
    public async Task Burst_supersede_drops_the_overtaken_reply_and_answers_the_whole_context_once()
    {
        await using var world = await ChatwootWorld.StartAsync(OpenAi(), ai => FakeAi.EchoOpenAi(ai, TimeSpan.FromMilliseconds(1500)));
        await world.PostOkAsync(P.Incoming("hi"));
        await world.Ai.WaitForAsync(_ => true);
        await world.PostOkAsync(P.Incoming("my order"));
        await world.PostOkAsync(P.Incoming("is late"));
        var replies = await world.WaitChatwootAsync("messages", timeout: TimeSpan.FromSeconds(20));
        await Task.Delay(1700);
        // One answer, to the whole newer context; the overtaken replies (one, or two under a slow machine) were dropped.
        Assert.Single(world.ChatwootCalls("messages"));
        Assert.Equal("echo: is late", replies[0].Json().GetProperty("content").GetString());
        Assert.InRange(world.Ai.Requests.Count, 2, 3);
        Assert.Equal("hi\nmy order\nis late", FakeAi.UserText(world.Ai.Requests[^1]));
    }

    [Fact]
    public async Task Burst_reply_each_answers_every_turn()
    {
        await using var world = await ChatwootWorld.StartAsync(OpenAi(("Chatwoot:BurstPolicy", "ReplyEach")), ai => FakeAi.EchoOpenAi(ai, TimeSpan.FromMilliseconds(800)));
        await world.PostOkAsync(P.Incoming("hi"));
        await world.Ai.WaitForAsync(_ => true);
        await world.PostOkAsync(P.Incoming("my order"));
        var replies = await world.WaitChatwootAsync("messages", 2);
        Assert.Equal("echo: hi", replies[0].Json().GetProperty("content").GetString());
        Assert.Equal("echo: my order", replies[1].Json().GetProperty("content").GetString());
    }
}
