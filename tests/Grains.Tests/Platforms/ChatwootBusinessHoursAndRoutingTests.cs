using System.Text.Json;
using Conversations.TestSupport.Http;

namespace Conversations.Grains.Tests.Platforms;

/// <summary>
/// Outside business hours and handoff routes, through the Chatwoot seam and sender, against a fake Chatwoot on
/// 127.0.0.1. The tenant opens weekdays 09:00-17:00 in Europe/Paris; Friday 27 March 2026 17:30 there is before a
/// weekend and the change to summer time, so Monday's 09:00 is 07:00 UTC (unix 1774854000).
/// </summary>
public sealed class ChatwootBusinessHoursAndRoutingTests : IAsyncLifetime
{
    private static readonly DateTimeOffset FridayEvening = new(2026, 3, 27, 16, 30, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset TuesdayAfternoon = new(2026, 3, 31, 12, 0, 0, TimeSpan.Zero);
    private static readonly ConversationKey Key = new("acme", "7:87");
    private const string Conversation = "/api/v1/accounts/7/conversations/87";

    private LoopbackServer _chatwoot = null!;

    public async Task InitializeAsync()
    {
        _chatwoot = await LoopbackServer.StartAsync();
        _chatwoot.On("POST", "/api/v1/accounts/", _ => LoopbackResponse.Json("{}"));
        _chatwoot.On("GET", Conversation + "/labels", _ => LoopbackResponse.Json("""{"payload":["vip-customer","billing"]}"""));
    }

    public async Task DisposeAsync() => await _chatwoot.DisposeAsync();

    private TenantOptions Tenant(OutsideHoursAction action, Action<TenantOptions>? more = null)
    {
        var tenant = new TenantOptions { Id = "acme", Platform = PlatformKind.Chatwoot, UrlToken = "t", ApiToken = "tok", BaseUrl = _chatwoot.BaseAddress.ToString() };
        tenant.Handoff.Message = "Connecting you with a person, one moment.";
        tenant.BusinessHours.TimeZone = "Europe/Paris";
        foreach (var day in new[] { "Monday", "Tuesday", "Wednesday", "Thursday", "Friday" }) tenant.BusinessHours.Weekly[day] = "09:00-17:00";
        tenant.BusinessHours.OutsideMessage = "We are back on {next_opening}.";
        tenant.BusinessHours.OutsideAction = action;
        more?.Invoke(tenant);
        return tenant;
    }

    /// <summary>What the fake saw, in order (the typing indicator aside), as "action" or "action body".</summary>
    private List<string> Calls() =>
        [.. _chatwoot.Requests.Where(r => r.Path.StartsWith(Conversation, StringComparison.Ordinal) && !r.Path.EndsWith("/toggle_typing_status", StringComparison.Ordinal)).Select(Describe)];

    private static string Describe(RecordedRequest r)
    {
        var action = r.Method + " " + (r.Path.Length > Conversation.Length ? r.Path[(Conversation.Length + 1)..] : "conversation");
        if (r.Method == "GET") return action;
        var body = r.Json();
        return r.Path.EndsWith("/messages", StringComparison.Ordinal)
            ? $"{action} {(body.GetProperty("private").GetBoolean() ? "note" : body.GetProperty("content").GetString())}"
            : $"{action} {JsonSerializer.Serialize(body)}";
    }

    [Fact]
    public async Task HandOff_outside_the_hours_says_when_people_are_back_then_opens_the_conversation()
    {
        await using var turns = PlatformTurns.Start(Tenant(OutsideHoursAction.HandOff), FridayEvening);
        await turns.TurnAsync(Key, turns.ChatwootCustomer("I want a human"));

        Assert.Equal(
        [
            "POST messages We are back on Monday 30 March, 09:00.",
            "POST messages note",
            """POST toggle_status {"status":"open"}""",
        ], Calls());
    }

    [Fact]
    public async Task KeepWithBot_outside_the_hours_only_says_when_people_are_back()
    {
        await using var turns = PlatformTurns.Start(Tenant(OutsideHoursAction.KeepWithBot), FridayEvening);
        await turns.TurnAsync(Key, turns.ChatwootCustomer("I want a human"));

        Assert.Equal(["POST messages We are back on Monday 30 March, 09:00."], Calls());
        Assert.Equal(Conversations.Grains.Conversation.ConversationMode.Bot, turns.State.Mode);
    }

    [Fact]
    public async Task Snooze_outside_the_hours_snoozes_the_conversation_until_the_next_opening_in_unix_seconds()
    {
        await using var turns = PlatformTurns.Start(Tenant(OutsideHoursAction.Snooze), FridayEvening);
        await turns.TurnAsync(Key, turns.ChatwootCustomer("I want a human"));

        Assert.Equal(
        [
            "POST messages We are back on Monday 30 March, 09:00.",
            "POST messages note",
            """POST toggle_status {"status":"snoozed","snoozed_until":1774854000}""",
        ], Calls());
        Assert.Contains("snoozed until Monday 30 March, 09:00", _chatwoot.Requests[1].Json().GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_keyword_handoff_assigns_the_routes_team_then_agent_adds_its_labels_to_the_ones_there_and_sets_its_priority_before_opening()
    {
        await using var turns = PlatformTurns.Start(Tenant(OutsideHoursAction.Snooze, t => t.Handoff.Routes =
        [
            new() { Topic = "returns", TeamId = "9" },
            new() { Reason = "customer_asked", TeamId = "2", AssigneeId = "12", Labels = ["asked-for-human", "billing"], Priority = "high" },
        ]), TuesdayAfternoon);
        await turns.TurnAsync(Key, turns.ChatwootCustomer("I want a human"));

        Assert.Equal(
        [
            "POST messages Connecting you with a person, one moment.",
            "POST messages note",
            """POST assignments {"team_id":"2"}""",
            """POST assignments {"assignee_id":"12"}""",
            "GET labels",
            """POST labels {"labels":["vip-customer","billing","asked-for-human"]}""",
            """POST toggle_priority {"priority":"high"}""",
            """POST toggle_status {"status":"open"}""",
        ], Calls());
        Assert.Equal("reason:customer_asked", turns.State.LastHandoffRoute!.Match);
    }

    [Fact]
    public async Task An_ai_tool_handoff_with_a_topic_takes_the_topics_route()
    {
        await using var ai = await LoopbackServer.StartAsync();
        ai.On("POST", "/v1/chat/completions", _ => AiTopicHandoff("billing"));
        await using var turns = PlatformTurns.Start(Tenant(OutsideHoursAction.HandOff, t =>
        {
            t.Ai.Kind = AiKind.OpenAi;
            t.Ai.Endpoint = ai.BaseAddress.ToString();
            t.Handoff.Message = "";
            t.Handoff.Routes =
            [
                new() { Reason = "customer_asked", TeamId = "2" },
                new() { Topic = "billing", TeamId = "4", Labels = ["refund"], Priority = "urgent" },
                new() { Reason = "ai_signal", TeamId = "1" },
            ];
        }), TuesdayAfternoon);
        await turns.TurnAsync(Key, turns.ChatwootCustomer("I was charged twice"));

        Assert.Equal(
        [
            "POST messages A colleague from billing will take it from here.",
            "POST messages note",
            """POST assignments {"team_id":"4"}""",
            "GET labels",
            """POST labels {"labels":["vip-customer","billing","refund"]}""",
            """POST toggle_priority {"priority":"urgent"}""",
            """POST toggle_status {"status":"open"}""",
        ], Calls());
        Assert.Equal("topic:billing", turns.State.LastHandoffRoute!.Match);
    }

    /// <summary>A Chat Completions answer that says something and calls handoff_to_human with a topic.</summary>
    internal static LoopbackResponse AiTopicHandoff(string topic) => LoopbackResponse.Json(JsonSerializer.Serialize(new
    {
        choices = new[]
        {
            new
            {
                index = 0,
                message = new
                {
                    role = "assistant",
                    content = $"A colleague from {topic} will take it from here.",
                    tool_calls = new[] { new { id = "c1", type = "function", function = new { name = "handoff_to_human", arguments = JsonSerializer.Serialize(new { reason = "double charge", topic }) } } },
                },
                finish_reason = "tool_calls",
            },
        },
    }));

    [Fact]
    public async Task A_chatwoot_without_toggle_priority_gets_the_priority_by_patching_the_conversation()
    {
        _chatwoot.On("POST", Conversation + "/toggle_priority", _ => LoopbackResponse.Status(404));
        _chatwoot.On("PATCH", Conversation, _ => LoopbackResponse.Json("{}"));
        await using var turns = PlatformTurns.Start(Tenant(OutsideHoursAction.HandOff, t => t.Handoff.Routes = [new() { Priority = "medium" }]), TuesdayAfternoon);
        await turns.TurnAsync(Key, turns.ChatwootCustomer("I want a human"));

        var patch = Assert.Single(_chatwoot.Requests, r => r.Method == "PATCH");
        Assert.Equal(Conversation, patch.Path);
        Assert.Equal("""{"priority":"medium"}""", patch.Body);
        Assert.Equal("""POST toggle_status {"status":"open"}""", Calls()[^1]);
    }

    [Fact]
    public async Task Labels_the_conversation_already_has_are_not_written_again()
    {
        await using var turns = PlatformTurns.Start(Tenant(OutsideHoursAction.HandOff, t => t.Handoff.Routes = [new() { Labels = ["VIP-customer"] }]), TuesdayAfternoon);
        await turns.TurnAsync(Key, turns.ChatwootCustomer("I want a human"));

        Assert.Contains("GET labels", Calls());
        Assert.DoesNotContain(Calls(), c => c.StartsWith("POST labels", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_labels_read_that_fails_is_the_actions_outcome_and_nothing_is_overwritten()
    {
        _chatwoot.Enqueue("GET", Conversation + "/labels", LoopbackResponse.Json("""{"error":"Access to this endpoint is not authorized for bots"}""", 401));
        _chatwoot.Enqueue("GET", Conversation + "/labels", LoopbackResponse.Json("""{"unexpected":true}"""));
        var tenant = Tenant(OutsideHoursAction.HandOff);
        var sender = new Conversations.Grains.Platforms.Chatwoot.ChatwootLabels(
            new Conversations.Grains.Platforms.Chatwoot.ChatwootClient(new SingleClientFactory()), TimeProvider.System);

        var refused = await sender.AddAsync(tenant, "7", "87", ["vip"], CancellationToken.None);
        var unreadable = await sender.AddAsync(tenant, "7", "87", ["vip"], CancellationToken.None);

        Assert.Equal(SendResult.Permanent, refused.Kind);
        Assert.Contains("401", refused.Error);
        Assert.Equal(SendResult.Permanent, unreadable.Kind);
        Assert.DoesNotContain(_chatwoot.Requests, r => r.Method == "POST");
    }

    private sealed class SingleClientFactory : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new();
    }
}
