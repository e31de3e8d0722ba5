using Conversations.Grains.Ai;
using Conversations.Grains.Conversation;

namespace Conversations.Grains.Tests.Conversation;

/// <summary>The inactivity countdown of the policy (Lifecycle:*), on a <c>FakeTimeProvider</c>.</summary>
public sealed class InactivityPolicyTests
{
    private static readonly TimeSpan FollowUpAfter = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan ResolveAfter = TimeSpan.FromMinutes(15);

    private static GrainHarness Harness(bool followUp = true, bool resolve = true, string closing = "Closing this chat, write again any time.") => new(t =>
    {
        if (followUp)
        {
            t.Lifecycle.FollowUpAfter = FollowUpAfter;
            t.Lifecycle.FollowUpMessage = "Are you still there?";
        }
        if (resolve) t.Lifecycle.ResolveAfter = ResolveAfter;
        t.Lifecycle.ResolveMessage = closing;
    });

    private static IReadOnlyList<(string Kind, DateTimeOffset DueAt)> Countdowns(TurnResult result) =>
        [.. (result.Countdowns ?? []).Select(c => (c.Kind, c.DueAt))];

    [Fact]
    public async Task Off_by_default_the_bots_answer_starts_no_countdown()
    {
        var h = new GrainHarness();
        var result = await h.TurnAsync(h.Customer("Where is my order?"));

        Assert.Empty(Countdowns(result));
        Assert.Null(h.State.Inactivity);
        h.Time.Advance(TimeSpan.FromDays(1));
        Assert.Empty((await h.DueAsync()).Actions);
    }

    [Fact]
    public async Task The_bots_answer_starts_the_countdown_from_its_own_time()
    {
        var h = Harness();
        h.Time.Advance(TimeSpan.FromSeconds(30));
        var answeredAt = h.Time.GetUtcNow();
        var result = await h.TurnAsync(h.Customer("Where is my order?"));

        Assert.Equal([(Inactivity.FollowUpKind, answeredAt + FollowUpAfter), (Inactivity.ResolveKind, answeredAt + ResolveAfter)], Countdowns(result));
        Assert.Equal(answeredAt, h.State.Inactivity!.Since);
    }

    [Fact]
    public async Task The_follow_up_and_the_resolve_are_decided_once_each_in_order()
    {
        var h = Harness();
        var start = h.Time.GetUtcNow();
        await h.TurnAsync(h.Customer("Where is my order?"));

        // Early (a reminder's tick before the due time): nothing.
        h.Time.Advance(FollowUpAfter - TimeSpan.FromSeconds(1));
        var early = await h.DueAsync();
        Assert.Empty(early.Actions);
        Assert.Equal(2, Countdowns(early).Count);

        h.Time.Advance(TimeSpan.FromSeconds(1));
        var followUp = await h.DueAsync();
        Assert.Equal(["test.reply"], followUp.Kinds());
        Assert.Equal("Are you still there?", followUp.Actions[0].Text());
        Assert.Equal([(Inactivity.ResolveKind, start + ResolveAfter)], Countdowns(followUp));
        Assert.Equal(ConversationMode.Bot, h.State.Mode);
        Assert.Equal("Are you still there?", h.State.Transcript[^1].Text);

        // The timer and the reminder both fire: the second finds nothing.
        Assert.Empty((await h.DueAsync()).Actions);

        h.Time.Advance(ResolveAfter - FollowUpAfter);
        var resolve = await h.DueAsync();
        Assert.Equal(["test.reply", "test.status"], resolve.Kinds());
        Assert.Equal("Closing this chat, write again any time.", resolve.Actions[0].Text());
        Assert.Equal("resolved", resolve.Actions[1].Text());
        Assert.Empty(Countdowns(resolve));
        Assert.Equal(ConversationMode.Resolved, h.State.Mode);
        Assert.Null(h.State.Inactivity);
        Assert.Equal("resolved", resolve.Summary!.Mode);

        h.Time.Advance(TimeSpan.FromHours(1));
        Assert.Empty((await h.DueAsync()).Actions);
    }

    [Fact]
    public async Task Without_a_closing_message_the_resolve_only_changes_the_status()
    {
        var h = Harness(closing: "");
        await h.TurnAsync(h.Customer("Where is my order?"));
        h.Time.Advance(FollowUpAfter);
        await h.DueAsync();
        h.Time.Advance(ResolveAfter);
        Assert.Equal(["test.status"], (await h.DueAsync()).Kinds());
    }

    [Fact]
    public async Task A_resolve_alone_comes_after_ResolveAfter_and_a_follow_up_alone_ends_the_countdown()
    {
        var resolveOnly = Harness(followUp: false);
        var start = resolveOnly.Time.GetUtcNow();
        var answered = await resolveOnly.TurnAsync(resolveOnly.Customer("hi"));
        Assert.Equal([(Inactivity.ResolveKind, start + ResolveAfter)], Countdowns(answered));
        resolveOnly.Time.Advance(ResolveAfter);
        Assert.Equal(["test.reply", "test.status"], (await resolveOnly.DueAsync()).Kinds());

        var followUpOnly = Harness(resolve: false);
        await followUpOnly.TurnAsync(followUpOnly.Customer("hi"));
        followUpOnly.Time.Advance(FollowUpAfter);
        var followUp = await followUpOnly.DueAsync();
        Assert.Equal(["test.reply"], followUp.Kinds());
        Assert.Empty(Countdowns(followUp));
        Assert.Null(followUpOnly.State.Inactivity);
        Assert.Equal(ConversationMode.Bot, followUpOnly.State.Mode);
    }

    [Fact]
    public async Task A_customer_message_cancels_and_the_next_answer_starts_again_from_its_time()
    {
        var h = Harness();
        await h.TurnAsync(h.Customer("Where is my order?"));
        h.Time.Advance(FollowUpAfter - TimeSpan.FromMinutes(1));
        var again = h.Time.GetUtcNow();
        var result = await h.TurnAsync(h.Customer("It was order 42"));
        Assert.Equal([(Inactivity.FollowUpKind, again + FollowUpAfter), (Inactivity.ResolveKind, again + ResolveAfter)], Countdowns(result));

        // The first countdown's follow-up time passes without a follow-up.
        h.Time.Advance(TimeSpan.FromMinutes(2));
        Assert.Empty((await h.DueAsync()).Actions);
    }

    [Fact]
    public async Task A_customer_message_between_the_follow_up_and_the_resolve_cancels_the_resolve()
    {
        var h = Harness();
        var start = h.Time.GetUtcNow();
        await h.TurnAsync(h.Customer("Where is my order?"));
        h.Time.Advance(FollowUpAfter);
        await h.DueAsync();

        h.Time.Advance(TimeSpan.FromMinutes(1));
        var answeredAgain = h.Time.GetUtcNow();
        await h.TurnAsync(h.Customer("yes, still here"));

        // At the first countdown's resolve time the second one only follows up (late here, so its resolve moves by as much).
        h.Time.Advance(start + ResolveAfter - h.Time.GetUtcNow());
        Assert.True(answeredAgain + FollowUpAfter < h.Time.GetUtcNow());
        var due = await h.DueAsync();
        Assert.Equal(["test.reply"], due.Kinds());
        Assert.Equal("Are you still there?", due.Actions[0].Text());
        Assert.Equal([(Inactivity.ResolveKind, h.Time.GetUtcNow() + (ResolveAfter - FollowUpAfter))], Countdowns(due));
        Assert.Equal(ConversationMode.Bot, h.State.Mode);
    }

    [Fact]
    public async Task While_the_customers_message_is_unanswered_there_is_no_countdown()
    {
        var h = Harness();
        await h.TurnAsync(h.Customer("Where is my order?"));

        // The reply was overtaken by a newer message (Supersede): the bot has not had the last word.
        var unanswered = await h.TurnAsync(newerPending: true, h.Customer("hello?"));
        Assert.Empty(unanswered.Actions);
        Assert.Empty(Countdowns(unanswered));
        h.Time.Advance(ResolveAfter);
        Assert.Empty((await h.DueAsync()).Actions);
        Assert.Equal(ConversationMode.Bot, h.State.Mode);
    }

    [Fact]
    public async Task A_human_taking_over_cancels_the_countdown()
    {
        var h = Harness();
        await h.TurnAsync(h.Customer("Where is my order?"));
        var takeover = await h.TurnAsync(h.Event(EventKind.AgentMessage, "Daniel here", "bot"));

        Assert.Empty(Countdowns(takeover));
        Assert.Equal(ConversationMode.Human, h.State.Mode);
        h.Time.Advance(ResolveAfter);
        Assert.Empty((await h.DueAsync()).Actions);
    }

    [Theory]
    [InlineData("human")]
    [InlineData("ended")]
    public async Task A_status_change_cancels_the_countdown(string status)
    {
        var h = Harness();
        await h.TurnAsync(h.Customer("Where is my order?"));
        var changed = await h.TurnAsync(h.Event(EventKind.StatusChanged, status: status));

        Assert.Empty(Countdowns(changed));
        h.Time.Advance(ResolveAfter);
        Assert.Empty((await h.DueAsync()).Actions);
    }

    [Fact]
    public async Task A_handoff_starts_no_countdown_even_after_a_reply()
    {
        var h = Harness();
        h.Ai.Answer = _ => new AiReply([new AiMessage("Let me get someone")], Handoff: true);
        var result = await h.TurnAsync(h.Customer("Where is my order?"));

        Assert.Contains("test.reply", result.Kinds());
        Assert.Empty(Countdowns(result));
        Assert.Equal(ConversationMode.Human, h.State.Mode);
    }

    [Theory]
    [InlineData(EventKind.BotEcho)]
    [InlineData(EventKind.PrivateNote)]
    [InlineData(EventKind.Other)]
    public async Task The_bots_echo_notes_and_other_events_keep_the_countdown(EventKind kind)
    {
        var h = Harness();
        var answered = await h.TurnAsync(h.Customer("Where is my order?"));
        var echoed = await h.TurnAsync(h.Event(kind, "some text"));

        Assert.Equal(Countdowns(answered), Countdowns(echoed));
    }

    [Fact]
    public async Task Overdue_after_an_outage_the_follow_up_comes_first_and_the_customer_still_gets_time_to_answer_it()
    {
        var h = Harness();
        await h.TurnAsync(h.Customer("Where is my order?"));
        h.Time.Advance(TimeSpan.FromHours(2)); // both due times passed while no silo ran

        var followUp = await h.DueAsync();
        Assert.Equal(["test.reply"], followUp.Kinds());
        var resolveAt = h.Time.GetUtcNow() + (ResolveAfter - FollowUpAfter);
        Assert.Equal([(Inactivity.ResolveKind, resolveAt)], Countdowns(followUp));
        Assert.Empty((await h.DueAsync()).Actions);

        h.Time.Advance(ResolveAfter - FollowUpAfter);
        Assert.Equal(["test.reply", "test.status"], (await h.DueAsync()).Kinds());
    }

    [Fact]
    public async Task A_step_switched_off_since_the_countdown_started_is_skipped()
    {
        var h = Harness();
        await h.TurnAsync(h.Customer("Where is my order?"));
        h.Tenant.Lifecycle.FollowUpAfter = TimeSpan.Zero;

        h.Time.Advance(FollowUpAfter);
        var skipped = await h.DueAsync();
        Assert.Empty(skipped.Actions);
        Assert.Equal([Inactivity.ResolveKind], Countdowns(skipped).Select(c => c.Kind));

        h.Tenant.Lifecycle.ResolveAfter = TimeSpan.Zero;
        h.Time.Advance(ResolveAfter);
        var none = await h.DueAsync();
        Assert.Empty(none.Actions);
        Assert.Empty(Countdowns(none));
        Assert.Equal(ConversationMode.Bot, h.State.Mode);
    }

    [Fact]
    public async Task After_an_inactivity_resolve_the_customers_next_message_starts_a_new_bot_episode()
    {
        var h = Harness();
        await h.TurnAsync(h.Customer("Where is my order?"));
        h.Time.Advance(FollowUpAfter);
        await h.DueAsync();
        h.Time.Advance(ResolveAfter);
        await h.DueAsync();
        Assert.Equal(ConversationMode.Resolved, h.State.Mode);

        // Chatwoot's own echo of the resolve changes nothing.
        Assert.Empty((await h.TurnAsync(h.Event(EventKind.StatusChanged, status: "ended"))).Actions);

        var back = await h.TurnAsync(h.Customer("one more question", status: "bot"));
        Assert.Equal(["test.reply"], back.Kinds());
        Assert.Equal(ConversationMode.Bot, h.State.Mode);
        Assert.Equal(2, Countdowns(back).Count);
    }

    [Fact]
    public async Task A_countdown_due_after_the_bot_lost_the_conversation_is_dropped()
    {
        var h = Harness();
        await h.TurnAsync(h.Customer("Where is my order?"));
        var state = h.State;
        Assert.NotNull(state.Inactivity);
        state.Mode = ConversationMode.Human; // a state that kept a countdown past a change of mode
        var policy = (ConversationPolicy)h.Factory.Create(h.Key, ConversationStateJson.Serialize(state));

        h.Time.Advance(ResolveAfter);
        var result = await policy.RunDueAsync(CancellationToken.None);
        Assert.Empty(result.Actions);
        Assert.Empty(result.Countdowns ?? []);
        Assert.Null(policy.State.Inactivity);
    }
}
