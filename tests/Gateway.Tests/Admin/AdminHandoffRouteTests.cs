using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Conversations.Gateway.Tests.Support;

namespace Conversations.Gateway.Tests.Admin;

/// <summary>The admin view of a conversation names the Handoff:Routes entry its last handoff took.</summary>
public sealed class AdminHandoffRouteTests
{
    private const string Token = "s3cret-admin-token";
    private static readonly ConversationKey Key = new("acme", "7:42");

    private static async Task<JsonElement> ViewAsync(ConversationSnapshot snapshot)
    {
        await using var harness = await Harness.StartAsync(s => s["Conversations:Admin:Token"] = Token);
        harness.Grains.SetSnapshot(Key, snapshot);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/conversations/acme/7:42");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        using var response = await harness.Http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
    }

    [Fact]
    public async Task The_route_of_the_last_handoff_is_shown_with_what_it_set()
    {
        var at = new DateTimeOffset(2026, 3, 27, 16, 30, 0, TimeSpan.Zero);
        var view = await ViewAsync(new ConversationSnapshot(true, 3, 2, "{\"mode\":\"Human\"}"u8.ToArray(), [],
            new HandoffRouteView(1, "topic:billing", "4", "12", ["billing", "vip"], "high", null, at)));

        var route = view.GetProperty("handoffRoute");
        Assert.Equal(1, route.GetProperty("index").GetInt32());
        Assert.Equal("topic:billing", route.GetProperty("match").GetString());
        Assert.Equal("4", route.GetProperty("teamId").GetString());
        Assert.Equal("12", route.GetProperty("assigneeId").GetString());
        Assert.Equal(["billing", "vip"], route.GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        Assert.Equal("high", route.GetProperty("priority").GetString());
        Assert.Equal(JsonValueKind.Null, route.GetProperty("categoryId").ValueKind);
        Assert.Equal(at, route.GetProperty("handedOffAt").GetDateTimeOffset());
    }

    [Fact]
    public async Task Without_a_routed_handoff_the_route_is_null()
    {
        var view = await ViewAsync(new ConversationSnapshot(true, 1, 1, "{\"mode\":\"Bot\"}"u8.ToArray(), []));
        Assert.Equal(JsonValueKind.Null, view.GetProperty("handoffRoute").ValueKind);
    }
}
