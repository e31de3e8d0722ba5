using Conversations.TestSupport.Engage;

namespace Conversations.EndToEnd.Engage;

/// <summary>Handoff:Message on Engage: the goodbye reply, then the intervention comment and its end, then BOT → AGENT.</summary>
public sealed class EngageHandoffMessageTests
{
    private const string Goodbye = "Connecting you with a person, one moment.";

    public static TheoryData<string> Reasons => ["keyword", "ai_signal", "ai_failure", "turn_limit"];

    [Theory]
    [MemberData(nameof(Reasons))]
    public async Task The_goodbye_is_posted_before_the_note_and_the_category_change(string reason)
    {
        string[] extra = reason == "turn_limit" ? ["--Conversations:Tenants:0:Handoff:MaxBotTurns=1"] : [];
        await using var world = await EngageWorld.StartAsync([$"--Conversations:Tenants:0:Handoff:Message={Goodbye}", .. extra]);
        var thread = world.NewThread(EngagePayloads.BotCategory, EngagePayloads.OtherCategory);
        var first = true;
        if (reason == "turn_limit")
        {
            await world.DeliverAsync(world.CustomerWrites(thread, "question one", firstInThread: true));
            await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 1, "the first answer");
            await world.SettleAsync(thread);
            first = false;
        }
        var interventionId = world.Engage.Interventions(thread).FirstOrDefault()?.Id;
        var content = world.CustomerWrites(thread, reason switch
        {
            "keyword" => "I want a human",
            "ai_signal" => "handoff please",
            "ai_failure" => "FAIL",
            _ => "question two",
        }, firstInThread: first, interventionId: interventionId);
        await world.DeliverAsync(content);
        await world.Engage.WaitUntilAsync(() => world.Engage.ThreadCategories(thread).Contains(EngagePayloads.AgentCategory), "the handoff");
        await world.SettleAsync(thread);

        var goodbye = world.Engage.BotReplies(thread)[^1];
        Assert.Equal(Goodbye, goodbye.Body);
        Assert.Equal((string)content["resource"]!["id"]!, goodbye.InReplyToId);
        var requests = world.Engage.Requests.ToList();
        var reply = requests.FindLastIndex(r => r.Is("POST", "/1.0/contents") && r.Value("body") == Goodbye);
        var comment = requests.FindIndex(r => r.Is("POST", "/1.0/intervention_comments"));
        var recategorize = requests.FindIndex(r => r.Is("PUT", $"/1.0/content_threads/{thread}/update_categories"));
        Assert.True(reply >= 0 && reply < comment && comment < recategorize, string.Join(", ", requests));
        var intervention = Assert.Single(world.Engage.Interventions(thread));
        Assert.True(intervention.Closed && !intervention.Cancelled, "the bot replied in its intervention: closed, not cancelled");
    }
}
