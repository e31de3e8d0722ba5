using Conversations.Grains.Ai;
using Conversations.Grains.Conversation;

namespace Conversations.Grains.Tests.Conversation;

/// <summary>Handoff:Message is the bot's last public reply, before the note and the ownership change.</summary>
public sealed class HandoffMessageTests
{
    private const string Goodbye = "Connecting you with a person, one moment.";

    [Fact]
    public async Task A_keyword_handoff_says_goodbye_first()
    {
        var h = new GrainHarness(t => t.Handoff.Message = Goodbye);
        var result = await h.TurnAsync(h.Customer("I want a human"));
        Assert.Equal(["test.reply", "test.note", "test.status"], result.Kinds());
        Assert.Equal(Goodbye, result.Actions[0].Text());
        Assert.Equal(TranscriptRole.Bot, h.State.Transcript[^1].Role);
    }

    [Fact]
    public async Task An_ai_handoff_posts_the_ai_text_then_the_goodbye()
    {
        var h = new GrainHarness(t => t.Handoff.Message = Goodbye);
        h.Ai.Answer = _ => new AiReply([new AiMessage("Let me get a colleague.")], Handoff: true);
        var result = await h.TurnAsync(h.Customer("refund"));
        Assert.Equal(["test.reply", "test.reply", "test.note", "test.status"], result.Kinds());
        Assert.Equal(Goodbye, result.Actions[1].Text());
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public async Task An_empty_message_sends_none(string message)
    {
        var h = new GrainHarness(t => t.Handoff.Message = message);
        h.Ai.Answer = _ => throw new AiUnavailableException("HTTP 500");
        var result = await h.TurnAsync(h.Customer("hello"));
        Assert.Equal(["test.note", "test.status"], result.Kinds());
    }
}
