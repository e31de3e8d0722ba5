using System.Text.Json.Nodes;
using Conversations.Grains.Conversation;
using Conversations.TestSupport.Engage;

namespace Conversations.EndToEnd.Engage;

/// <summary>Handoff to humans (BOT → AGENT), the bot's intervention, human takeover and push back.</summary>
public sealed class EngageHandoffEndToEndTests
{
    private static readonly string[] BotAndOther = [EngagePayloads.OtherCategory, EngagePayloads.BotCategory];
    private static readonly string[] AgentAndOther = [EngagePayloads.OtherCategory, EngagePayloads.AgentCategory];

    [Fact]
    public async Task An_ai_failure_moves_the_thread_to_agent_keeping_other_categories_and_closes_the_bots_intervention()
    {
        await using var world = await EngageWorld.StartAsync();
        var thread = world.NewThread(BotAndOther);
        await world.DeliverAsync(world.CustomerWrites(thread, "hello", firstInThread: true));
        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 1, "the first reply");
        var intervention = Assert.Single(world.Engage.Interventions(thread));

        await world.DeliverAsync(world.CustomerWrites(thread, "FAIL now", interventionId: intervention.Id));
        await world.Engage.WaitUntilAsync(() => world.Engage.ThreadCategories(thread).Contains(EngagePayloads.AgentCategory), "the handoff");
        Assert.Equal(AgentAndOther.Order(), world.Engage.ThreadCategories(thread).Order());
        await world.Engage.WaitUntilAsync(() => world.Engage.Interventions(thread)[0].Closed, "the intervention closed");
        Assert.False(world.Engage.Interventions(thread)[0].Cancelled); // it had a bot reply: closed, not cancelled
        var comment = Assert.Single(world.Engage.Interventions(thread)[0].Comments);
        Assert.Contains("Reason: the AI could not answer", comment);
        Assert.Contains("Customer: FAIL now", comment);
        var state = await world.WaitForStateAsync(thread, s => s.Mode == ConversationMode.Human, "human mode");
        Assert.Contains("AI could not answer", state.LastHandoffReason);
        Assert.Single(world.Engage.BotReplies(thread));
    }

    [Fact]
    public async Task Asking_for_a_human_hands_off_and_an_unused_intervention_is_cancelled()
    {
        await using var world = await EngageWorld.StartAsync();
        var thread = world.NewThread(BotAndOther);
        // An intervention the bot opened but never replied in (its reply failed earlier).
        var content = world.CustomerWrites(thread, "I want a human", firstInThread: true);
        world.Engage.FailNext("POST", "/1.0/contents", 422, "boom");
        await world.DeliverAsync(world.CustomerWrites(thread, "hello", firstInThread: true));
        await world.Engage.WaitUntilAsync(() => world.Engage.Interventions(thread).Count == 1, "the intervention");
        await world.SettleAsync(thread);
        await world.DeliverAsync(content);

        await world.Engage.WaitUntilAsync(() => world.Engage.ThreadCategories(thread).Contains(EngagePayloads.AgentCategory), "the handoff");
        Assert.Equal(AgentAndOther.Order(), world.Engage.ThreadCategories(thread).Order());
        await world.Engage.WaitUntilAsync(() => world.Engage.Interventions(thread)[0].Cancelled, "the intervention cancelled");
        var state = await world.WaitForStateAsync(thread, s => s.Mode == ConversationMode.Human, "human mode");
        Assert.Equal("the customer asked for a human", state.LastHandoffReason);
    }

    [Fact]
    public async Task The_ais_handoff_signal_hands_off_and_409_on_update_categories_is_retried()
    {
        await using var world = await EngageWorld.StartAsync();
        var thread = world.NewThread(BotAndOther);
        world.Engage.FailNext("PUT", "/1.0/content_threads", 409, "thread_already_being_categorized", times: 2);
        await world.DeliverAsync(world.CustomerWrites(thread, "handoff please"));

        await world.Engage.WaitUntilAsync(() => world.Engage.ThreadCategories(thread).Contains(EngagePayloads.AgentCategory), "the handoff");
        Assert.Equal(AgentAndOther.Order(), world.Engage.ThreadCategories(thread).Order());
        Assert.Equal(3, world.Engage.Requests.Count(r => r.Is("PUT", $"/1.0/content_threads/{thread}/update_categories")));
        Assert.Empty(await world.ParkedAsync());
    }

    [Fact]
    public async Task After_a_handoff_the_bot_is_quiet_until_the_thread_is_back_in_bot_then_it_answers_with_the_transcript()
    {
        await using var world = await EngageWorld.StartAsync();
        var thread = world.NewThread(BotAndOther);
        await world.DeliverAsync(world.CustomerWrites(thread, "my order 123 is late"));
        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 1, "the first reply");
        await world.DeliverAsync(world.CustomerWrites(thread, "get me a human"));
        await world.Engage.WaitUntilAsync(() => world.Engage.ThreadCategories(thread).Contains(EngagePayloads.AgentCategory), "the handoff");

        // An agent engages; the customer writes (AGENT category); the agent answers.
        var agentIntervention = EngagePayloads.NewId("65d0");
        await world.DeliverAsync(EngagePayloads.Intervention("intervention.opened", thread, EngagePayloads.AgentUser, agentIntervention));
        await world.DeliverAsync(world.CustomerWrites(thread, "hello agent", interventionId: agentIntervention));
        await world.DeliverAsync(EngagePayloads.Outgoing("content.replied", thread, "Agent here, fixed it", EngagePayloads.AgentUser, "65f0aaaaaaaaaaaaaaaaaaaa", interventionId: agentIntervention));
        await world.SettleAsync(thread);
        Assert.Single(world.Engage.BotReplies(thread));

        // The agent closes the intervention and gives the thread back to the bot.
        await world.DeliverAsync(EngagePayloads.Intervention("intervention.closed", thread, EngagePayloads.AgentUser, agentIntervention));
        world.Engage.AddThread(thread, BotAndOther);
        await world.DeliverAsync(world.CustomerWrites(thread, "one more question"));

        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 2, "the bot's answer after push back");
        Assert.Equal("echo: one more question", world.Engage.BotReplies(thread)[1].Body);
        var state = (await world.StateAsync(thread))!;
        Assert.Equal(ConversationMode.Bot, state.Mode);
        var transcript = state.Transcript.Select(t => t.Text).ToList();
        Assert.Contains("my order 123 is late", transcript);
        Assert.Contains("Agent here, fixed it", transcript);
        var aiCall = world.Ai.Requests.Last().Json();
        Assert.Contains(aiCall.GetProperty("transcript").EnumerateArray(), t => t.GetProperty("text").GetString() == "Agent here, fixed it");
    }

    [Fact]
    public async Task A_human_intervention_silences_the_bot_even_in_the_bot_category()
    {
        await using var world = await EngageWorld.StartAsync();
        var thread = world.NewThread();
        await world.DeliverAsync(world.CustomerWrites(thread, "hi"));
        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 1, "the first reply");

        var agentIntervention = EngagePayloads.NewId("65d0");
        await world.DeliverAsync(EngagePayloads.Intervention("intervention.assigned", thread, EngagePayloads.AgentUser, agentIntervention));
        await world.DeliverAsync(world.CustomerWrites(thread, "are you a person?", interventionId: agentIntervention));
        await world.SettleAsync(thread);
        Assert.Single(world.Engage.BotReplies(thread));
        Assert.Equal(ConversationMode.Human, (await world.StateAsync(thread))!.Mode);
    }

    [Fact]
    public async Task With_ReturnToBotOnClose_a_closed_agent_intervention_puts_the_thread_back_in_bot()
    {
        await using var world = await EngageWorld.StartAsync("--Conversations:Tenants:0:Engage:ReturnToBotOnClose=true");
        var thread = world.NewThread(BotAndOther);
        await world.DeliverAsync(world.CustomerWrites(thread, "human please"));
        await world.Engage.WaitUntilAsync(() => world.Engage.ThreadCategories(thread).Contains(EngagePayloads.AgentCategory), "the handoff");

        var agentIntervention = EngagePayloads.NewId("65d0");
        await world.DeliverAsync(EngagePayloads.Intervention("intervention.opened", thread, EngagePayloads.AgentUser, agentIntervention));
        await world.DeliverAsync(EngagePayloads.Intervention("intervention.closed", thread, EngagePayloads.AgentUser, agentIntervention));
        await world.Engage.WaitUntilAsync(() => world.Engage.ThreadCategories(thread).Contains(EngagePayloads.BotCategory), "the thread back in BOT");
        Assert.Equal(BotAndOther.Order(), world.Engage.ThreadCategories(thread).Order());

        await world.DeliverAsync(world.CustomerWrites(thread, "thanks, one more thing"));
        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 1, "the bot answering again");
    }

    [Fact]
    public async Task With_no_agent_available_a_holding_message_precedes_the_handoff()
    {
        await using var world = await EngageWorld.StartAsync(
            "--Conversations:Tenants:0:Engage:CheckAgentAvailability=true",
            "--Conversations:Tenants:0:Engage:NoAgentPolicy=HoldingMessage",
            "--Conversations:Tenants:0:Engage:HoldingMessage=Our team is busy, we will answer soon.");
        world.Engage.AgentStatuses.Add(new JsonObject
        {
            ["agent_id"] = EngagePayloads.AgentUser,
            ["channels"] = new JsonArray(new JsonObject { ["id"] = "ch", ["name"] = "Chat", ["status"] = "available", ["busyness"] = "full" }),
        });
        var thread = world.NewThread(BotAndOther);
        await world.DeliverAsync(world.CustomerWrites(thread, "human please"));
        await world.Engage.WaitUntilAsync(() => world.Engage.ThreadCategories(thread).Contains(EngagePayloads.AgentCategory), "the handoff");
        Assert.Equal("Our team is busy, we will answer soon.", Assert.Single(world.Engage.BotReplies(thread)).Body);
        var status = Assert.Single(world.Engage.Requests, r => r.Is("GET", "/1.0/status"));
        Assert.Equal([EngagePayloads.AgentCategory], status.Values("category_ids[]"));

        // An available agent with room: no holding message.
        world.Engage.AgentStatuses.Add(new JsonObject
        {
            ["agent_id"] = "64bb00000000000000000a02",
            ["channels"] = new JsonArray(new JsonObject { ["id"] = "ch", ["name"] = "Chat", ["status"] = "available", ["busyness"] = "ok" }),
        });
        var other = world.NewThread(BotAndOther);
        await world.DeliverAsync(world.CustomerWrites(other, "human please"));
        await world.Engage.WaitUntilAsync(() => world.Engage.ThreadCategories(other).Contains(EngagePayloads.AgentCategory), "the second handoff");
        Assert.Empty(world.Engage.BotReplies(other));
    }
}
