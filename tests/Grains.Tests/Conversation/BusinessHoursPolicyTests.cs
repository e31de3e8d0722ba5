using Conversations.Grains.Ai;
using Conversations.Grains.Conversation;

namespace Conversations.Grains.Tests.Conversation;

/// <summary>
/// A handoff outside business hours (Europe/Paris, weekdays 09:00-17:00, Easter Monday closed), with the policy's
/// clock a FakeTimeProvider. Friday 27 March 2026 17:30 in Paris is UTC+1; the clocks go forward on Sunday, so
/// Monday's 09:00 is 07:00 UTC.
/// </summary>
public sealed class BusinessHoursPolicyTests
{
    private const string Goodbye = "Connecting you with a person, one moment.";
    private const string Away = "We are away. Back on {next_opening}.";
    private static readonly DateTimeOffset FridayEvening = new(2026, 3, 27, 16, 30, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset MondayOpening = new(2026, 3, 30, 7, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset TuesdayAfternoon = new(2026, 3, 31, 12, 0, 0, TimeSpan.Zero);

    private static GrainHarness Harness(OutsideHoursAction action, DateTimeOffset now, Action<TenantOptions>? more = null)
    {
        var h = new GrainHarness(t =>
        {
            t.Handoff.Message = Goodbye;
            t.BusinessHours.TimeZone = "Europe/Paris";
            foreach (var day in new[] { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday" }) t.BusinessHours.Weekly[day] = "09:00-17:00";
            t.BusinessHours.Closed = ["2026-04-06"];
            t.BusinessHours.OutsideMessage = Away;
            t.BusinessHours.OutsideAction = action;
            more?.Invoke(t);
        });
        h.Time.SetUtcNow(now);
        return h;
    }

    [Fact]
    public async Task Inside_the_hours_a_handoff_says_the_goodbye_and_hands_off_as_usual()
    {
        var h = Harness(OutsideHoursAction.Snooze, TuesdayAfternoon);
        h.Platform.CanSnooze = true;
        var result = await h.TurnAsync(h.Customer("I want a human"));

        Assert.Equal(["test.reply", "test.note", "test.status"], result.Kinds());
        Assert.Equal(Goodbye, result.Actions[0].Text());
        Assert.Null(Assert.Single(h.Platform.Handoffs).SnoozeUntil);
        Assert.Null(h.State.LastOutsideHours);
        Assert.DoesNotContain("business hours", h.State.LastHandoffReason);
    }

    [Fact]
    public async Task HandOff_outside_the_hours_tells_when_people_are_back_across_the_weekend_and_the_clock_change_then_hands_off()
    {
        var h = Harness(OutsideHoursAction.HandOff, FridayEvening);
        var result = await h.TurnAsync(h.Customer("I want a human"));

        Assert.Equal(["test.reply", "test.note", "test.status"], result.Kinds());
        Assert.Equal("We are away. Back on Monday 30 March, 09:00.", result.Actions[0].Text());
        Assert.Equal(ConversationMode.Human, h.State.Mode);
        Assert.Equal(new OutsideHoursRecord(FridayEvening, OutsideHoursAction.HandOff, MondayOpening), h.State.LastOutsideHours);
        Assert.Contains("outside business hours: people are back Monday 30 March, 09:00", h.State.LastHandoffReason);
        Assert.Null(Assert.Single(h.Platform.Handoffs).SnoozeUntil);
    }

    [Fact]
    public async Task A_closed_date_moves_the_next_opening_to_the_day_after()
    {
        var h = Harness(OutsideHoursAction.HandOff, new DateTimeOffset(2026, 4, 3, 16, 0, 0, TimeSpan.Zero)); // Friday 18:00
        var result = await h.TurnAsync(h.Customer("I want a human"));
        Assert.Equal("We are away. Back on Tuesday 7 April, 09:00.", result.Actions[0].Text());
    }

    [Fact]
    public async Task KeepWithBot_tells_when_people_are_back_and_the_bot_answers_the_next_message()
    {
        var h = Harness(OutsideHoursAction.KeepWithBot, FridayEvening);
        var kept = await h.TurnAsync(h.Customer("I want a human"));

        Assert.Equal(["test.reply"], kept.Kinds());
        Assert.Equal("We are away. Back on Monday 30 March, 09:00.", kept.Actions[0].Text());
        Assert.Empty(h.Platform.Handoffs);
        Assert.Equal(ConversationMode.Bot, h.State.Mode);
        Assert.Equal(OutsideHoursAction.KeepWithBot, h.State.LastOutsideHours!.Action);
        Assert.Empty(h.Ai.Requests);

        var next = await h.TurnAsync(h.Customer("ok, where is my parcel then?"));
        Assert.Equal(["test.reply"], next.Kinds());
        Assert.Equal("echo: ok, where is my parcel then?", next.Actions[0].Text());
    }

    [Fact]
    public async Task KeepWithBot_starts_the_inactivity_countdown_like_an_answer()
    {
        var h = Harness(OutsideHoursAction.KeepWithBot, FridayEvening, t =>
        {
            t.Lifecycle.FollowUpAfter = TimeSpan.FromMinutes(5);
            t.Lifecycle.FollowUpMessage = "Are you still there?";
            t.Lifecycle.ResolveAfter = TimeSpan.FromMinutes(10);
        });
        var kept = await h.TurnAsync(h.Customer("I want a human"));

        Assert.Equal(["test.reply"], kept.Kinds());
        Assert.Equal(ConversationMode.Bot, h.State.Mode);
        Assert.Equal(
            [(Inactivity.FollowUpKind, FridayEvening.AddMinutes(5)), (Inactivity.ResolveKind, FridayEvening.AddMinutes(10))],
            (kept.Countdowns ?? []).Select(c => (c.Kind, c.DueAt)));
    }

    [Fact]
    public async Task KeepWithBot_at_the_turn_limit_starts_counting_again()
    {
        var h = Harness(OutsideHoursAction.KeepWithBot, FridayEvening, t => t.Handoff.MaxBotTurns = 1);
        await h.TurnAsync(h.Customer("hello"));
        var limit = await h.TurnAsync(h.Customer("and another question"));
        Assert.Equal(["We are away. Back on Monday 30 March, 09:00."], limit.Actions.Select(a => a.Text()));
        Assert.Equal(0, h.State.BotTurns);

        var after = await h.TurnAsync(h.Customer("still there?"));
        Assert.Equal("echo: still there?", Assert.Single(after.Actions).Text());
        Assert.Equal(ConversationMode.Bot, h.State.Mode);
    }

    [Fact]
    public async Task Snooze_hands_off_snoozed_until_the_next_opening_where_the_platform_snoozes()
    {
        var h = Harness(OutsideHoursAction.Snooze, FridayEvening);
        h.Platform.CanSnooze = true;
        h.Ai.Answer = _ => new AiReply([], Handoff: true, HandoffReason: "refund needs a person");
        var result = await h.TurnAsync(h.Customer("refund"));

        Assert.Equal(["test.reply", "test.note", "test.status"], result.Kinds());
        Assert.Equal(MondayOpening, Assert.Single(h.Platform.Handoffs).SnoozeUntil);
        Assert.Equal(OutsideHoursAction.Snooze, h.State.LastOutsideHours!.Action);
        Assert.Contains("snoozed until Monday 30 March, 09:00", h.State.LastHandoffReason);
        Assert.Equal(ConversationMode.Human, h.State.Mode);
    }

    [Fact]
    public async Task Snooze_falls_back_to_HandOff_where_the_platform_has_no_snooze()
    {
        var h = Harness(OutsideHoursAction.Snooze, FridayEvening);
        h.Ai.Answer = _ => throw new AiUnavailableException("HTTP 500");
        var result = await h.TurnAsync(h.Customer("where is my order?"));

        Assert.Equal(["test.reply", "test.note", "test.status"], result.Kinds());
        Assert.Null(Assert.Single(h.Platform.Handoffs).SnoozeUntil);
        Assert.Equal(OutsideHoursAction.HandOff, h.State.LastOutsideHours!.Action);
    }

    [Fact]
    public async Task An_empty_outside_message_says_nothing_not_even_the_goodbye()
    {
        var h = Harness(OutsideHoursAction.HandOff, FridayEvening, t => t.BusinessHours.OutsideMessage = "");
        var result = await h.TurnAsync(h.Customer("I want a human"));
        Assert.Equal(["test.note", "test.status"], result.Kinds());
    }
}
