using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using Conversations.TestSupport.Http;
using P = Conversations.EndToEnd.Chatwoot.ChatwootPayloads;

namespace Conversations.EndToEnd.Chatwoot;

/// <summary>
/// Business hours and handoff routes through the whole silo, configured by command-line keys like an operator's.
/// The silo runs on the real clock: yesterday, today and tomorrow (UTC) are closed dates of a tenant open every day,
/// so now is outside the hours and the next opening is the day after tomorrow at 00:00 UTC, also if midnight passes.
/// </summary>
public sealed class ChatwootHoursAndRoutesTests
{
    private const string AdminToken = "admin-secret";

    [Fact]
    public async Task A_keyword_handoff_outside_the_hours_is_routed_then_snoozed_until_the_next_opening_and_the_admin_view_names_the_route()
    {
        var today = DateOnly.FromDateTime(DateTime.UtcNow);
        var opening = new DateTimeOffset(today.AddDays(2).ToDateTime(TimeOnly.MinValue), TimeSpan.Zero);
        var settings = new Dictionary<string, string>
        {
            ["Conversations:Admin:Token"] = AdminToken,
            ["BusinessHours:TimeZone"] = "UTC",
            ["BusinessHours:OutsideMessage"] = "We are back on {next_opening}.",
            ["BusinessHours:OpeningFormat"] = "yyyy-MM-dd HH:mm",
            ["BusinessHours:OutsideAction"] = "Snooze",
            ["BusinessHours:Closed:0"] = today.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["BusinessHours:Closed:1"] = today.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["BusinessHours:Closed:2"] = today.AddDays(1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
            ["Handoff:Routes:0:Topic"] = "billing",
            ["Handoff:Routes:0:TeamId"] = "4",
            ["Handoff:Routes:1:Reason"] = "customer_asked",
            ["Handoff:Routes:1:TeamId"] = "2",
            ["Handoff:Routes:1:AssigneeId"] = "12",
            ["Handoff:Routes:1:Labels:0"] = "asked-for-human",
            ["Handoff:Routes:1:Priority"] = "high",
        };
        foreach (var day in Enum.GetNames<DayOfWeek>()) settings[$"BusinessHours:Weekly:{day}"] = "00:00-24:00";
        await using var world = await ChatwootWorld.StartAsync(settings);
        world.Chatwoot.On("GET", "/api/v1/accounts/7/conversations/87/labels", _ => LoopbackResponse.Json("""{"payload":["shipping"]}"""));

        await world.PostOkAsync(P.Incoming("I want to talk to a human"));
        await world.WaitChatwootAsync("toggle_status");
        await world.SettleAsync();

        var calls = world.Chatwoot.Requests.Where(r => r.Path.StartsWith("/api/v1/accounts/7/conversations/87/", StringComparison.Ordinal))
            .Select(r => $"{r.Method} {r.Path[(r.Path.LastIndexOf('/') + 1)..]}").ToList();
        Assert.Equal(["POST messages", "POST messages", "POST assignments", "POST assignments", "GET labels", "POST labels", "POST toggle_priority", "POST toggle_status"], calls);
        Assert.Equal($"We are back on {opening:yyyy-MM-dd HH:mm}.", world.Messages()[0]["content"]!.GetValue<string>());
        Assert.Equal(["shipping", "asked-for-human"], world.ChatwootCalls("labels").Single().Json().GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        var snooze = world.ChatwootCalls("toggle_status").Single().Json();
        Assert.Equal("snoozed", snooze.GetProperty("status").GetString());
        Assert.Equal(opening.ToUnixTimeSeconds(), snooze.GetProperty("snoozed_until").GetInt64());

        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/conversations/acme/7:87");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        using var response = await world.Http.SendAsync(request);
        using var view = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var route = view.RootElement.GetProperty("handoffRoute");
        Assert.Equal(1, route.GetProperty("index").GetInt32());
        Assert.Equal("reason:customer_asked", route.GetProperty("match").GetString());
        Assert.Equal("12", route.GetProperty("assigneeId").GetString());
        Assert.Equal("Snooze", view.RootElement.GetProperty("state").GetProperty("lastOutsideHours").GetProperty("action").GetString());
    }
}
