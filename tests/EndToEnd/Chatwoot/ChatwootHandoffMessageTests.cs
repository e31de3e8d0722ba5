using Conversations.TestSupport.Http;
using P = Conversations.EndToEnd.Chatwoot.ChatwootPayloads;

namespace Conversations.EndToEnd.Chatwoot;

/// <summary>Handoff:Message: the bot says goodbye publicly before the private note and the status change, whatever the reason.</summary>
public sealed class ChatwootHandoffMessageTests
{
    private const string Goodbye = "Connecting you with a person, one moment.";

    public static TheoryData<string> Reasons => ["keyword", "ai_signal", "ai_failure", "turn_limit"];

    [Theory]
    [MemberData(nameof(Reasons))]
    public async Task The_goodbye_is_the_last_public_reply_before_the_note_and_the_status_change(string reason)
    {
        var settings = new Dictionary<string, string> { ["Handoff:Message"] = Goodbye };
        Action<LoopbackServer>? ai = null;
        switch (reason)
        {
            case "ai_signal":
                settings["Ai:Rules:0:Pattern"] = "refund";
                settings["Ai:Rules:0:Reply"] = "A colleague will handle your refund.";
                settings["Ai:Rules:0:Handoff"] = "true";
                break;
            case "ai_failure":
                settings["Ai:Kind"] = "OpenAi";
                settings["Ai:Model"] = "test-model";
                ai = server => server.On("POST", FakeAi.ChatCompletions, _ => LoopbackResponse.Json("{\"error\":{\"message\":\"boom\"}}", 500));
                break;
            case "turn_limit":
                settings["Handoff:MaxBotTurns"] = "1";
                break;
        }
        await using var world = await ChatwootWorld.StartAsync(settings, ai);
        if (reason == "turn_limit")
        {
            await world.PostOkAsync(P.Incoming("question one"));
            await world.WaitChatwootAsync("messages");
        }
        await world.PostOkAsync(P.Incoming(reason switch
        {
            "keyword" => "I want to talk to a human",
            "ai_signal" => "I need a refund",
            "ai_failure" => "where is my order?",
            _ => "question two",
        }));
        await world.WaitChatwootAsync("toggle_status");
        await world.SettleAsync();

        var calls = world.Chatwoot.Requests
            .Where(r => r.Path.EndsWith("/messages", StringComparison.Ordinal) || r.Path.EndsWith("/toggle_status", StringComparison.Ordinal))
            .OrderBy(r => r.ReceivedAt)
            .Select(r => r.Path.EndsWith("/toggle_status", StringComparison.Ordinal) ? "toggle_status"
                : r.Json().GetProperty("private").GetBoolean() ? "note" : "reply: " + r.Json().GetProperty("content").GetString())
            .ToList();
        string[] before = reason switch
        {
            "ai_signal" => ["reply: A colleague will handle your refund."],
            "turn_limit" => ["reply: " + Conversations.Grains.Ai.Rules.RulesConnector.FallbackReply],
            _ => [],
        };
        Assert.Equal([.. before, "reply: " + Goodbye, "note", "toggle_status"], calls);
    }

    [Fact]
    public async Task Without_a_message_the_handoff_is_the_note_and_the_status_change_only()
    {
        await using var world = await ChatwootWorld.StartAsync();
        await world.PostOkAsync(P.Incoming("I want to talk to a human"));
        await world.WaitChatwootAsync("toggle_status");
        Assert.All(world.Messages(), m => Assert.True(m["private"]!.GetValue<bool>()));
    }
}
