using Conversations.Grains.Ai;
using Conversations.Grains.Conversation;

namespace Conversations.Grains.Tests.Conversation;

public sealed class ConversationPolicyTests
{
    [Fact]
    public async Task Customer_message_in_bot_mode_is_answered_with_typing_around_the_ai_call()
    {
        var h = new GrainHarness();
        var result = await h.TurnAsync(h.Customer("Where is my order?"));

        Assert.Equal(["test.reply"], result.Kinds());
        Assert.Equal("echo: Where is my order?", result.Actions[0].Text());
        Assert.Equal([true, false], h.Platform.Typing);
        var state = h.State;
        Assert.Equal(ConversationMode.Bot, state.Mode);
        Assert.Equal(1, state.BotTurns);
        Assert.False(state.AwaitingReply);
        Assert.Equal([TranscriptRole.Customer, TranscriptRole.Bot], state.Transcript.Select(t => t.Role));
    }

    [Theory]
    [InlineData(EventKind.BotEcho)]
    [InlineData(EventKind.PrivateNote)]
    [InlineData(EventKind.Other)]
    public async Task Echoes_notes_and_other_events_are_not_answered(EventKind kind)
    {
        var h = new GrainHarness();
        var result = await h.TurnAsync(h.Event(kind, "some text", "bot"));

        Assert.Empty(result.Actions);
        Assert.Empty(h.Ai.Requests);
        Assert.Empty(h.State.Transcript);
    }

    [Fact]
    public async Task A_burst_of_customer_messages_becomes_one_ai_call()
    {
        var h = new GrainHarness();
        var result = await h.TurnAsync(h.Customer("Hi"), h.Customer("my order"), h.Customer("is late"));

        Assert.Single(h.Ai.Requests);
        Assert.Equal("Hi\nmy order\nis late", h.Ai.Requests[0].LatestCustomerText());
        Assert.Equal(["test.reply"], result.Kinds());
    }

    [Fact]
    public async Task Events_are_ordered_by_occurrence_time()
    {
        var h = new GrainHarness();
        var late = h.Customer("second");
        var early = h.Event(EventKind.CustomerMessage, "first", "bot", late.OccurredAt.AddSeconds(-5));
        await h.TurnAsync(late, early);

        Assert.Equal(["first", "second"], h.State.Transcript.Where(t => t.Role == TranscriptRole.Customer).Select(t => t.Text));
    }

    [Fact]
    public async Task A_human_agent_reply_while_the_bot_owns_it_makes_the_bot_stand_down()
    {
        var h = new GrainHarness();
        await h.TurnAsync(h.Customer("Hello"));
        var takeover = await h.TurnAsync(h.Event(EventKind.AgentMessage, "Daniel here, I'll take it", "bot"));
        Assert.Equal(["test.status"], takeover.Kinds());
        Assert.Equal(ConversationMode.Human, h.State.Mode);

        // The platform still says pending on a message sent before it caught up: not a push back.
        var next = await h.TurnAsync(h.Customer("thanks Daniel", "bot"));
        Assert.Empty(next.Actions);
        Assert.Single(h.Ai.Requests);
        Assert.Equal(ConversationMode.Human, h.State.Mode);
    }

    [Fact]
    public async Task Keyword_hands_off_with_a_note_then_the_status_change_without_calling_the_ai()
    {
        var h = new GrainHarness();
        await h.TurnAsync(h.Customer("Where is my order?"));
        var result = await h.TurnAsync(h.Customer("I want to talk to a HUMAN please"));

        Assert.Equal(["test.note", "test.status"], result.Kinds());
        Assert.Single(h.Ai.Requests);
        var state = h.State;
        Assert.Equal(ConversationMode.Human, state.Mode);
        Assert.Contains("asked for a human", state.LastHandoffReason);
        var handoff = Assert.Single(h.Platform.Handoffs);
        Assert.Contains("Customer: Where is my order?", handoff.Summary);
        Assert.Contains("Bot: echo: Where is my order?", handoff.Summary);
    }

    [Fact]
    public async Task Each_turn_summarizes_mode_handoff_cause_and_last_activity_for_the_admin_list()
    {
        var h = new GrainHarness();
        var first = h.Customer("Where is my order?");
        var bot = await h.TurnAsync(first);
        Assert.Equal(new ConversationSummary("bot", null, first.OccurredAt), bot.Summary);

        var asked = h.Customer("I want to talk to a HUMAN please");
        var handedOff = await h.TurnAsync(asked);
        Assert.Equal(new ConversationSummary("human", HandoffCause.CustomerAsked, asked.OccurredAt), handedOff.Summary);
        Assert.Equal(HandoffCause.CustomerAsked, h.State.LastHandoffCause);
    }

    [Fact]
    public async Task Keywords_match_whole_words_only()
    {
        var h = new GrainHarness();
        var result = await h.TurnAsync(h.Customer("The humanities department ordered a book"));
        Assert.Equal(["test.reply"], result.Kinds());
    }

    [Fact]
    public async Task Max_bot_turns_hands_off()
    {
        var h = new GrainHarness(t => t.Handoff.MaxBotTurns = 2);
        await h.TurnAsync(h.Customer("one"));
        await h.TurnAsync(h.Customer("two"));
        var third = await h.TurnAsync(h.Customer("three"));

        Assert.Equal(["test.note", "test.status"], third.Kinds());
        Assert.Equal(2, h.Ai.Requests.Count);
        Assert.Contains("MaxBotTurns", h.State.LastHandoffReason);
    }

    [Fact]
    public async Task Ai_failure_hands_off_and_counts_the_failure()
    {
        var h = new GrainHarness();
        h.Ai.Answer = _ => throw new AiUnavailableException("HTTP 500");
        var result = await h.TurnAsync(h.Customer("hello?"));

        Assert.Equal(["test.note", "test.status"], result.Kinds());
        Assert.Equal(1, h.State.AiFailures);
        Assert.Contains("HTTP 500", h.State.LastHandoffReason);
        Assert.Equal([true, false], h.Platform.Typing);
    }

    [Fact]
    public async Task Ai_handoff_signal_posts_its_text_then_hands_off()
    {
        var h = new GrainHarness();
        h.Ai.Answer = _ => new AiReply([new AiMessage("Let me get a colleague.")], Handoff: true, HandoffReason: "refund request");
        var result = await h.TurnAsync(h.Customer("I want a refund"));

        Assert.Equal(["test.reply", "test.note", "test.status"], result.Kinds());
        Assert.Contains("refund request", h.State.LastHandoffReason);
    }

    [Fact]
    public async Task An_empty_ai_answer_hands_off()
    {
        var h = new GrainHarness();
        h.Ai.Answer = _ => new AiReply([]);
        var result = await h.TurnAsync(h.Customer("hello"));
        Assert.Equal(["test.note", "test.status"], result.Kinds());
    }

    [Fact]
    public async Task Supersede_drops_an_overtaken_reply_at_most_twice_in_a_row()
    {
        var h = new GrainHarness();
        var first = await h.TurnAsync(newerPending: true, h.Customer("one"));
        Assert.Empty(first.Actions);
        Assert.True(h.State.AwaitingReply);
        Assert.Equal(1, h.State.ConsecutiveSupersedes);

        var second = await h.TurnAsync(newerPending: true, h.Customer("two"));
        Assert.Empty(second.Actions);
        Assert.Equal("one\ntwo", h.Ai.Requests[1].LatestCustomerText());

        var third = await h.TurnAsync(newerPending: true, h.Customer("three"));
        Assert.Equal(["test.reply"], third.Kinds());
        Assert.Equal("echo: one\ntwo\nthree", third.Actions[0].Text());
        Assert.Equal(0, h.State.ConsecutiveSupersedes);
        Assert.Equal(1, h.State.BotTurns);
    }

    [Fact]
    public async Task A_reply_overtaken_by_a_human_agent_is_dropped_and_the_bot_stands_down()
    {
        // The race guard: an agent answered while the AI was thinking; the bot must not talk over them.
        var h = new GrainHarness();
        var agent = h.Event(EventKind.AgentMessage, "Daniel here, I'll take it", "pending");

        var overtaken = await h.TurnWithNewerAsync([agent], h.Customer("where is my order?"));
        var next = await h.TurnAsync(agent);

        Assert.Empty(overtaken.Actions);
        Assert.Equal(0, h.State.BotTurns);
        Assert.DoesNotContain("test.reply", next.Kinds());
        Assert.Equal(ConversationMode.Human, h.State.Mode);
    }

    [Fact]
    public async Task A_newer_event_that_is_not_a_customer_message_does_not_supersede_the_reply()
    {
        var h = new GrainHarness();

        var result = await h.TurnWithNewerAsync([h.Event(EventKind.Other, status: "pending")], h.Customer("hello"));

        Assert.Equal(["test.reply"], result.Kinds());
        Assert.Equal(0, h.State.ConsecutiveSupersedes);
    }

    [Fact]
    public async Task Reply_each_answers_even_when_newer_messages_wait()
    {
        var h = new GrainHarness();
        h.Platform.Burst = BurstPolicy.ReplyEach;
        var result = await h.TurnAsync(newerPending: true, h.Customer("one"));
        Assert.Equal(["test.reply"], result.Kinds());
    }

    [Fact]
    public async Task Push_back_by_status_change_returns_to_bot_mode_with_the_transcript()
    {
        var h = new GrainHarness();
        await h.TurnAsync(h.Customer("one"));
        await h.TurnAsync(h.Customer("agent please"));
        Assert.Equal(ConversationMode.Human, h.State.Mode);

        await h.TurnAsync(h.Event(EventKind.StatusChanged, status: "human"));
        await h.TurnAsync(h.Event(EventKind.AgentMessage, "Daniel here", "human"));
        await h.TurnAsync(h.Event(EventKind.StatusChanged, status: "bot"));
        var state = h.State;
        Assert.Equal(ConversationMode.Bot, state.Mode);
        Assert.Equal(0, state.BotTurns);
        Assert.Contains(state.Transcript, t => t.Text == "Daniel here");

        var answer = await h.TurnAsync(h.Customer("back again"));
        Assert.Equal(["test.reply"], answer.Kinds());
        Assert.Contains(h.Ai.Requests[^1].Transcript, t => t.Role == TranscriptRole.Agent);
    }

    [Fact]
    public async Task Push_back_by_a_customer_message_once_the_platform_confirmed_the_human_side()
    {
        var h = new GrainHarness();
        await h.TurnAsync(h.Customer("agent please"));
        await h.TurnAsync(h.Customer("still there?", "human"));
        Assert.Equal(ConversationMode.Human, h.State.Mode);

        var result = await h.TurnAsync(h.Customer("hello bot?", "bot"));
        Assert.Equal(["test.reply"], result.Kinds());
        Assert.Equal(ConversationMode.Bot, h.State.Mode);
    }

    [Fact]
    public async Task Stale_ownership_signals_are_ignored()
    {
        var h = new GrainHarness();
        await h.TurnAsync(h.Customer("hi"));
        await h.TurnAsync(h.Event(EventKind.StatusChanged, status: "human"));
        var old = h.Event(EventKind.StatusChanged, status: "bot", at: h.Clock.AddMinutes(-5));
        await h.TurnAsync(old);
        Assert.Equal(ConversationMode.Human, h.State.Mode);
    }

    [Fact]
    public async Task Resolved_then_customer_writes_starts_a_new_bot_episode()
    {
        var h = new GrainHarness();
        await h.TurnAsync(h.Customer("hi"));
        await h.TurnAsync(h.Event(EventKind.Resolved, status: "ended"));
        Assert.Equal(ConversationMode.Resolved, h.State.Mode);

        var result = await h.TurnAsync(h.Customer("one more question", status: null));
        Assert.Equal(["test.reply"], result.Kinds());
        Assert.Equal(ConversationMode.Bot, h.State.Mode);
    }

    [Fact]
    public async Task Human_mode_is_silent_without_assist()
    {
        var h = new GrainHarness();
        await h.TurnAsync(h.Event(EventKind.StatusChanged, status: "human"));
        var result = await h.TurnAsync(h.Customer("hello", "human"));
        Assert.Empty(result.Actions);
        Assert.Empty(h.Ai.Requests);
        Assert.Single(h.State.Transcript);
    }

    [Fact]
    public async Task Assist_posts_one_suggestion_per_customer_turn_in_human_mode()
    {
        var h = new GrainHarness();
        h.Platform.Assist = true;
        await h.TurnAsync(h.Event(EventKind.StatusChanged, status: "human"));
        var result = await h.TurnAsync(h.Customer("can I return it?", "human"));

        Assert.Equal(["test.assist"], result.Kinds());
        Assert.Equal(AiPurpose.Assist, Assert.Single(h.Ai.Requests).Purpose);
        Assert.Equal(ConversationMode.Human, h.State.Mode);
    }

    [Fact]
    public async Task Assist_failure_costs_only_the_suggestion()
    {
        var h = new GrainHarness();
        h.Platform.Assist = true;
        h.Ai.Answer = _ => throw new AiUnavailableException("down");
        await h.TurnAsync(h.Event(EventKind.StatusChanged, status: "human"));
        var result = await h.TurnAsync(h.Customer("hello", "human"));
        Assert.Empty(result.Actions);
        Assert.Equal(ConversationMode.Human, h.State.Mode);
    }

    [Fact]
    public async Task Context_is_loaded_once_per_episode_and_given_to_the_ai()
    {
        var h = new GrainHarness();
        var e = h.Customer("hi") with { Context = new() { ["contact.name"] = "Maria Lopez" } };
        await h.TurnAsync(e);
        await h.TurnAsync(h.Customer("again"));
        Assert.Equal(1, h.Platform.ContextLoads);
        Assert.Equal("Maria Lopez", h.Ai.Requests[1].Context["contact.name"]);
    }

    [Fact]
    public async Task Transcript_keeps_a_bounded_window()
    {
        var h = new GrainHarness(t => t.Ai.MaxContextMessages = 12);
        for (var i = 0; i < 10; i++) await h.TurnAsync(h.Customer($"m{i}"));
        Assert.Equal(12, h.State.Transcript.Count);
        Assert.True(h.Ai.Requests[^1].Transcript.Count <= 12);
    }

    [Fact]
    public async Task Unreadable_events_are_skipped_without_failing_the_turn()
    {
        var h = new GrainHarness();
        var grain = h.Factory.Create(h.Key, ReadOnlyMemory<byte>.Empty);
        var inbox = new List<InboxMessage> { new(1, "x", "bad", "not json"u8.ToArray(), DateTimeOffset.UtcNow) };
        var result = await grain.RunTurnAsync(new TurnContext(h.Key, inbox, _ => ValueTask.FromResult<IReadOnlyList<InboxMessage>>([])), CancellationToken.None);
        Assert.Empty(result.Actions);
    }
}
