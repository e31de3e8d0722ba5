using System.Text.Json;
using Conversations.Grains.Ai;
using Conversations.Grains.Ai.OpenAi;
using Conversations.TestSupport.Http;

namespace Conversations.Grains.Tests.Ai;

/// <summary>handoff_to_human offers the tenant's Handoff:Routes topics as an enum; the topic the model chose comes back on the reply.</summary>
public sealed class OpenAiHandoffTopicTests : IAsyncLifetime
{
    private LoopbackServer _server = null!;

    public async Task InitializeAsync() => _server = await LoopbackServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private void HandsOffWith(string arguments) => _server.On("POST", "/v1/chat/completions", _ => LoopbackResponse.Json(JsonSerializer.Serialize(new
    {
        choices = new[]
        {
            new
            {
                index = 0,
                message = new { role = "assistant", content = (string?)null, tool_calls = new[] { new { id = "c", type = "function", function = new { name = OpenAiConnector.HandoffTool, arguments } } } },
                finish_reason = "tool_calls",
            },
        },
    })));

    private static JsonElement HandoffParameters(RecordedRequest request) =>
        request.Json().GetProperty("tools")[0].GetProperty("function").GetProperty("parameters").GetProperty("properties");

    [Fact]
    public async Task The_route_topics_are_the_enum_of_an_optional_topic_and_the_chosen_one_is_read()
    {
        HandsOffWith("""{"reason":"wants a refund","topic":"billing"}""");
        var (client, services) = AiTestKit.Client();
        await using var disposeServices = services;
        var tenant = AiTestKit.Tenant(AiKind.OpenAi, _server.BaseAddress);
        tenant.Handoff.Routes = [new() { Topic = "billing", TeamId = "4" }, new() { Reason = "customer_asked" }, new() { Topic = "returns" }, new() { Topic = "Billing" }];

        var reply = await client.RespondAsync(AiTestKit.Request(tenant, "I was charged twice"), CancellationToken.None);

        Assert.True(reply.Handoff);
        Assert.Equal("wants a refund", reply.HandoffReason);
        Assert.Equal("billing", reply.HandoffTopic);
        var topic = HandoffParameters(Assert.Single(_server.Requests)).GetProperty("topic");
        Assert.Equal("string", topic.GetProperty("type").GetString());
        Assert.Equal(["billing", "returns"], topic.GetProperty("enum").EnumerateArray().Select(t => t.GetString()));
        Assert.False(Assert.Single(_server.Requests).Json().GetProperty("tools")[0].GetProperty("function").GetProperty("parameters").TryGetProperty("required", out _));
    }

    [Fact]
    public async Task Without_topic_routes_the_tool_has_no_topic_and_a_call_without_one_has_none()
    {
        HandsOffWith("""{"reason":"needs a person"}""");
        var (client, services) = AiTestKit.Client();
        await using var disposeServices = services;
        var tenant = AiTestKit.Tenant(AiKind.OpenAi, _server.BaseAddress);
        tenant.Handoff.Routes = [new() { Reason = "ai_signal", TeamId = "1" }];

        var reply = await client.RespondAsync(AiTestKit.Request(tenant, "help"), CancellationToken.None);

        Assert.True(reply.Handoff);
        Assert.Null(reply.HandoffTopic);
        var parameters = HandoffParameters(Assert.Single(_server.Requests));
        Assert.True(parameters.TryGetProperty("reason", out _));
        Assert.False(parameters.TryGetProperty("topic", out _));
    }
}
