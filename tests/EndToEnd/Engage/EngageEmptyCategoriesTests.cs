using Conversations.Grains.Conversation;
using Conversations.TestSupport.Engage;

namespace Conversations.EndToEnd.Engage;

/// <summary><c>category_ids: []</c> on a content: the categories Engage's REST API reports decide who answers.</summary>
public sealed class EngageEmptyCategoriesTests
{
    [Fact]
    public async Task On_a_bot_thread_the_bot_answers()
    {
        await using var world = await EngageWorld.StartAsync();
        var thread = world.NewThread(EngagePayloads.BotCategory);
        var content = world.CustomerWrites(thread, "where is my parcel?", categories: []);
        await world.DeliverAsync(content);

        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 1, "the bot's answer");
        Assert.Equal("echo: where is my parcel?", world.Engage.BotReplies(thread)[0].Body);
        Assert.Contains(world.Engage.Requests, r => r.Is("GET", $"/1.0/contents/{content["resource"]!["id"]}"));
        Assert.Equal(ConversationMode.Bot, (await world.StateAsync(thread))!.Mode);
    }

    [Fact]
    public async Task On_an_agent_thread_the_bot_stays_quiet_after_asking_engage()
    {
        await using var world = await EngageWorld.StartAsync();
        var thread = world.NewThread(EngagePayloads.AgentCategory);
        var content = world.CustomerWrites(thread, "where is my parcel?", categories: []);
        await world.DeliverAsync(content);
        await world.SettleAsync(thread);

        Assert.Empty(world.Engage.BotReplies(thread));
        Assert.Contains(world.Engage.Requests, r => r.Is("GET", $"/1.0/contents/{content["resource"]!["id"]}"));
        Assert.Equal(ConversationMode.Human, (await world.StateAsync(thread))!.Mode);
    }
}
