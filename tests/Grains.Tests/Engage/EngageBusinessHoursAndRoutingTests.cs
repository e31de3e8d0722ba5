using Conversations.Grains.Conversation;
using Conversations.Grains.Tests.Platforms;
using Conversations.TestSupport.Engage;

namespace Conversations.Grains.Tests.Engage;

/// <summary>
/// Outside business hours and handoff routes through the Engage seam and sender, against the stateful fake Engage
/// API on 127.0.0.1. Same hours as the Chatwoot tests: weekdays 09:00-17:00 in Europe/Paris, Friday 27 March 2026
/// 17:30 is outside, the next opening Monday 30 March 09:00 (summer time by then).
/// </summary>
public sealed class EngageBusinessHoursAndRoutingTests : IAsyncLifetime
{
    private const string RouteCategory = "64aa10d4d4d4d4d4d4d4d4d5";
    private static readonly DateTimeOffset FridayEvening = new(2026, 3, 27, 16, 30, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset TuesdayAfternoon = new(2026, 3, 31, 12, 0, 0, TimeSpan.Zero);

    private FakeEngageApi _engage = null!;
    private string _thread = null!;

    public async Task InitializeAsync()
    {
        _engage = await FakeEngageApi.StartAsync();
        _thread = EngagePayloads.NewId("65f1");
        _engage.AddThread(_thread, EngagePayloads.BotCategory, EngagePayloads.OtherCategory);
    }

    public async Task DisposeAsync() => await _engage.DisposeAsync();

    private TenantOptions Tenant(OutsideHoursAction action, Action<TenantOptions>? more = null) => EngageTestHost.Tenant(_engage, t =>
    {
        t.BusinessHours.TimeZone = "Europe/Paris";
        foreach (var day in new[] { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday" }) t.BusinessHours.Weekly[day] = "09:00-17:00";
        t.BusinessHours.OutsideMessage = "We are back on {next_opening}.";
        t.BusinessHours.OutsideAction = action;
        t.Handoff.Message = "Connecting you with a person, one moment.";
        more?.Invoke(t);
    });

    private async Task CustomerAsksForAHumanAsync(PlatformTurns turns)
    {
        var content = _engage.AddCustomerContent(_thread, "I want a human", isPrivate: false);
        await turns.TurnAsync(new ConversationKey("acme", _thread), turns.EngageCustomer(_thread, content, "I want a human", firstInThread: true));
    }

    [Theory]
    [InlineData(OutsideHoursAction.HandOff)]
    [InlineData(OutsideHoursAction.Snooze)] // Engage has no snooze: it hands off
    public async Task Outside_the_hours_the_customer_is_told_when_people_are_back_then_the_thread_goes_to_agents(OutsideHoursAction action)
    {
        await using var turns = PlatformTurns.Start(Tenant(action), FridayEvening);
        await CustomerAsksForAHumanAsync(turns);

        Assert.Equal("We are back on Monday 30 March, 09:00.", Assert.Single(_engage.BotReplies(_thread)).Body);
        Assert.Equal([EngagePayloads.OtherCategory, EngagePayloads.AgentCategory], _engage.ThreadCategories(_thread));
        var intervention = Assert.Single(_engage.Interventions(_thread));
        Assert.True(intervention.Closed);
        Assert.Contains(intervention.Comments, c => c.Contains("outside business hours: people are back Monday 30 March, 09:00", StringComparison.Ordinal));
        Assert.Equal(OutsideHoursAction.HandOff, turns.State.LastOutsideHours!.Action);
        Assert.Equal(ConversationMode.Human, turns.State.Mode);
    }

    [Fact]
    public async Task KeepWithBot_outside_the_hours_leaves_the_thread_with_the_bot()
    {
        await using var turns = PlatformTurns.Start(Tenant(OutsideHoursAction.KeepWithBot), FridayEvening);
        await CustomerAsksForAHumanAsync(turns);

        Assert.Equal("We are back on Monday 30 March, 09:00.", Assert.Single(_engage.BotReplies(_thread)).Body);
        Assert.Equal([EngagePayloads.BotCategory, EngagePayloads.OtherCategory], _engage.ThreadCategories(_thread));
        Assert.DoesNotContain(_engage.Requests, r => r.Is("PUT", $"/1.0/content_threads/{_thread}/update_categories"));
        Assert.Equal(ConversationMode.Bot, turns.State.Mode);
    }

    [Fact]
    public async Task A_keyword_handoff_moves_the_thread_to_the_routes_category_and_giving_it_back_removes_that_one()
    {
        await using var turns = PlatformTurns.Start(Tenant(OutsideHoursAction.HandOff, t =>
        {
            t.Engage.ReturnToBotOnClose = true;
            t.Handoff.Routes = [new() { Topic = "billing", CategoryId = "64aa10e5e5e5e5e5e5e5e5e6" }, new() { Reason = "customer_asked", CategoryId = RouteCategory }];
        }), TuesdayAfternoon);
        await CustomerAsksForAHumanAsync(turns);

        Assert.Equal([EngagePayloads.OtherCategory, RouteCategory], _engage.ThreadCategories(_thread));
        Assert.Equal(new HandoffRouteRecord(1, "reason:customer_asked", CategoryId: RouteCategory), turns.State.LastHandoffRoute);

        var agents = _engage.AddIntervention(_thread, EngagePayloads.AgentUser);
        turns.Clock.Advance(TimeSpan.FromMinutes(10));
        await turns.TurnAsync(new ConversationKey("acme", _thread), turns.EngageInterventionClosed(agents, EngagePayloads.AgentUser));
        Assert.Equal([EngagePayloads.OtherCategory, EngagePayloads.BotCategory], _engage.ThreadCategories(_thread));
        Assert.Equal(ConversationMode.Bot, turns.State.Mode);
    }

    [Fact]
    public async Task An_ai_tool_handoff_with_a_topic_moves_the_thread_to_the_topics_category()
    {
        await using var ai = await TestSupport.Http.LoopbackServer.StartAsync();
        ai.On("POST", "/v1/chat/completions", _ => ChatwootBusinessHoursAndRoutingTests.AiTopicHandoff("billing"));
        await using var turns = PlatformTurns.Start(Tenant(OutsideHoursAction.HandOff, t =>
        {
            t.Ai.Kind = AiKind.OpenAi;
            t.Ai.Endpoint = ai.BaseAddress.ToString();
            t.Handoff.Routes = [new() { Topic = "billing", CategoryId = RouteCategory }, new() { Reason = "ai_signal", CategoryId = "64aa10e5e5e5e5e5e5e5e5e6" }];
        }), TuesdayAfternoon);
        var content = _engage.AddCustomerContent(_thread, "I was charged twice", isPrivate: false);
        await turns.TurnAsync(new ConversationKey("acme", _thread), turns.EngageCustomer(_thread, content, "I was charged twice", firstInThread: true));

        Assert.Equal("A colleague from billing will take it from here.", _engage.BotReplies(_thread)[0].Body);
        Assert.Equal([EngagePayloads.OtherCategory, RouteCategory], _engage.ThreadCategories(_thread));
        Assert.Equal("topic:billing", turns.State.LastHandoffRoute!.Match);
    }

    [Fact]
    public async Task Agent_availability_is_asked_in_the_routes_category()
    {
        await using var turns = PlatformTurns.Start(Tenant(OutsideHoursAction.HandOff, t =>
        {
            t.Engage.CheckAgentAvailability = true;
            t.Engage.NoAgentPolicy = NoAgentPolicy.HoldingMessage;
            t.Handoff.Routes = [new() { Reason = "customer_asked", CategoryId = RouteCategory }];
        }), TuesdayAfternoon);
        await CustomerAsksForAHumanAsync(turns);

        var status = Assert.Single(_engage.Requests, r => r.Is("GET", "/1.0/status"));
        Assert.Equal([RouteCategory], status.Values("category_ids[]"));
    }

    [Fact]
    public async Task Outside_the_hours_no_agent_availability_is_asked_the_customer_was_told_when_people_are_back()
    {
        await using var turns = PlatformTurns.Start(Tenant(OutsideHoursAction.HandOff, t =>
        {
            t.Engage.CheckAgentAvailability = true;
            t.Engage.NoAgentPolicy = NoAgentPolicy.HoldingMessage;
        }), FridayEvening);
        await CustomerAsksForAHumanAsync(turns);

        Assert.DoesNotContain(_engage.Requests, r => r.Is("GET", "/1.0/status"));
        Assert.Equal(["We are back on Monday 30 March, 09:00."], _engage.BotReplies(_thread).Select(r => r.Body));
        Assert.Contains(EngagePayloads.AgentCategory, _engage.ThreadCategories(_thread));
    }
}
