using Conversations.TestSupport.Engage;

namespace Conversations.EndToEnd.Engage;

/// <summary>A reply takes the privacy of the content it answers (Engage creates contents public by default).</summary>
public sealed class EngagePrivateReplyTests
{
    [Fact]
    public async Task A_private_customer_content_gets_a_private_reply()
    {
        await using var world = await EngageWorld.StartAsync();
        var thread = world.NewThread();
        await world.DeliverAsync(world.CustomerWrites(thread, "my account number is 42", isPrivate: true));

        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 1, "the reply");
        var post = Assert.Single(world.Engage.Requests, r => r.Is("POST", "/1.0/contents"));
        Assert.Equal("true", post.Value("private"));
        Assert.True(world.Engage.BotReplies(thread)[0].Private);
    }

    [Fact]
    public async Task A_public_customer_content_gets_a_public_reply()
    {
        await using var world = await EngageWorld.StartAsync();
        var thread = world.NewThread();
        await world.DeliverAsync(world.CustomerWrites(thread, "what are your opening hours?", isPrivate: false));

        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 1, "the reply");
        var post = Assert.Single(world.Engage.Requests, r => r.Is("POST", "/1.0/contents"));
        Assert.NotEqual("true", post.Value("private"));
        Assert.False(world.Engage.BotReplies(thread)[0].Private);
    }
}
