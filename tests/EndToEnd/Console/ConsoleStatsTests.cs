using System.Net.Http.Headers;
using System.Text.Json;
using Conversations.EndToEnd.Chatwoot;
using P = Conversations.EndToEnd.Chatwoot.ChatwootPayloads;

namespace Conversations.EndToEnd.Console;

/// <summary>
/// GET /admin/stats on the real silo: the sampler finds the grains' instruments by name (the gateway
/// cannot reference them), so turns, AI calls and handoffs of a real webhook show in its samples.
/// </summary>
public sealed class ConsoleStatsTests
{
    private const string Token = "stats-admin-token-91c2";

    [Fact]
    public async Task A_webhook_that_ends_in_a_handoff_shows_as_a_webhook_a_turn_an_ai_call_and_a_handoff_by_reason()
    {
        await using var world = await ChatwootWorld.StartAsync(new()
        {
            ["Conversations:Admin:Token"] = Token,
            ["Conversations:Admin:Stats:Interval"] = "00:00:01",
        });

        await world.PostOkAsync(P.Incoming("hello"));
        await world.WaitChatwootAsync("messages");
        await world.PostOkAsync(P.Incoming("I want a human", conversation: 88));
        await world.WaitChatwootAsync("toggle_status", conversation: 88);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        JsonElement view;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/stats");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            using var response = await world.Http.SendAsync(request);
            view = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            var samples = view.GetProperty("samples").EnumerateArray().ToList();
            double Sum(string name) => samples.Sum(s => s.GetProperty(name).GetDouble());
            if (Sum("webhooksPerSecond") > 0 && Sum("turnsPerSecond") > 0 && Sum("aiCalls") > 0
                && samples.Any(s => s.GetProperty("handoffs").TryGetProperty("customer_asked", out _))) break;
            if (DateTime.UtcNow > deadline) Assert.Fail("Timed out after 20 s waiting for the samples to show the webhooks, turns, AI call and handoff: " + view);
            await Task.Delay(200);
        }

        Assert.Equal(["Conversations.Gateway", "Conversations.Grains"], view.GetProperty("meters").EnumerateArray().Select(m => m.GetString()));
        var last = view.GetProperty("samples").EnumerateArray().Last();
        Assert.Equal(JsonValueKind.Number, last.GetProperty("inboxLagSeconds").ValueKind);
        Assert.DoesNotContain("acme", view.ToString());
    }
}
