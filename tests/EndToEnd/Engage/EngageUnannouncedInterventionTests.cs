using Conversations.Grains.Conversation;
using Conversations.TestSupport.Engage;

namespace Conversations.EndToEnd.Engage;

/// <summary>
/// Engage guarantees neither delivery nor order: a content may name an intervention no webhook announced.
/// The bot asks Engage who holds it before answering.
/// </summary>
public sealed class EngageUnannouncedInterventionTests
{
    [Fact]
    public async Task A_content_inside_a_human_held_intervention_no_webhook_announced_is_not_answered()
    {
        await using var world = await EngageWorld.StartAsync();
        var thread = world.NewThread();
        await world.DeliverAsync(world.CustomerWrites(thread, "hi"));
        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 1, "the first reply");

        // An agent engaged in Engage; intervention.opened never reached the proxy. The thread is still in BOT.
        var agentIntervention = world.Engage.AddIntervention(thread, EngagePayloads.AgentUser);
        await world.DeliverAsync(world.CustomerWrites(thread, "is this a person?", interventionId: agentIntervention));
        await world.SettleAsync(thread);

        Assert.Single(world.Engage.BotReplies(thread));
        Assert.Single(world.Engage.Requests, r => r.Is("GET", $"/1.0/interventions/{agentIntervention}"));
        Assert.Equal(ConversationMode.Human, (await world.StateAsync(thread))!.Mode);

        // The answer is cached for the conversation: the next content in it costs no second look-up.
        await world.DeliverAsync(world.CustomerWrites(thread, "hello?", interventionId: agentIntervention));
        await world.SettleAsync(thread);
        Assert.Single(world.Engage.BotReplies(thread));
        Assert.Single(world.Engage.Requests, r => r.Is("GET", $"/1.0/interventions/{agentIntervention}"));
    }

    [Fact]
    public async Task A_content_inside_the_bots_own_unannounced_intervention_is_answered()
    {
        await using var world = await EngageWorld.StartAsync();
        var thread = world.NewThread();
        var botIntervention = world.Engage.AddIntervention(thread, EngagePayloads.BotUser);
        await world.DeliverAsync(world.CustomerWrites(thread, "hello", interventionId: botIntervention));

        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 1, "the reply");
        Assert.Single(world.Engage.Requests, r => r.Is("GET", $"/1.0/interventions/{botIntervention}"));
        Assert.Equal(ConversationMode.Bot, (await world.StateAsync(thread))!.Mode);
    }
}
