using System.Text.Json;
using Conversations.Grains.Ai;
using Conversations.Grains.Ai.OpenAi;
using Conversations.TestSupport.Http;

namespace Conversations.Grains.Tests.Ai;

public sealed class OpenAiConnectorTests : IAsyncLifetime
{
    private LoopbackServer _server = null!;

    public async Task InitializeAsync() => _server = await LoopbackServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private static LoopbackResponse Completion(object message) =>
        LoopbackResponse.Json(JsonSerializer.Serialize(new { choices = new[] { new { index = 0, message, finish_reason = "stop" } } }));

    [Fact]
    public async Task Sends_model_messages_tools_and_bearer_and_reads_the_text()
    {
        _server.On("POST", "/v1/chat/completions", _ => Completion(new { role = "assistant", content = "Hello Maria" }));
        var (client, services) = AiTestKit.Client();
        await using var _ = services;
        var tenant = AiTestKit.Tenant(AiKind.OpenAi, new Uri(_server.BaseAddress, "v1"), ai => { ai.ApiKey = "sk-1"; ai.Model = "m1"; });

        var reply = await client.RespondAsync(AiTestKit.Request(tenant, "hi"), CancellationToken.None);
        Assert.Equal("Hello Maria", reply.Messages[0].Text);
        var request = Assert.Single(_server.Requests);
        Assert.Equal("Bearer sk-1", request.Header("Authorization"));
        var body = request.Json();
        Assert.Equal("m1", body.GetProperty("model").GetString());
        Assert.Contains("contact.name: Maria Lopez", body.GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.Equal("user", body.GetProperty("messages")[1].GetProperty("role").GetString());
        Assert.Equal(OpenAiConnector.HandoffTool, body.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Tool_call_with_invalid_arguments_still_hands_off()
    {
        _server.On("POST", "/v1/chat/completions", _ => Completion(new
        {
            role = "assistant",
            content = (string?)null,
            tool_calls = new[] { new { id = "c", type = "function", function = new { name = "handoff_to_human", arguments = "{not json" } } },
        }));
        var (client, services) = AiTestKit.Client();
        await using var _ = services;
        var reply = await client.RespondAsync(AiTestKit.Request(AiTestKit.Tenant(AiKind.OpenAi, _server.BaseAddress), "help"), CancellationToken.None);
        Assert.True(reply.Handoff);
        Assert.Null(reply.HandoffReason);
        Assert.Empty(reply.Messages);
    }

    [Fact]
    public async Task Retries_5xx_then_gives_up_as_unavailable()
    {
        _server.On("POST", "/v1/chat/completions", _ => LoopbackResponse.Status(503));
        var (client, services) = AiTestKit.Client();
        await using var _ = services;
        var ex = await Assert.ThrowsAsync<AiUnavailableException>(async () => await client.RespondAsync(AiTestKit.Request(AiTestKit.Tenant(AiKind.OpenAi, _server.BaseAddress), "hi"), CancellationToken.None));
        Assert.Contains("503", ex.Message);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task A_401_is_not_retried()
    {
        _server.On("POST", "/v1/chat/completions", _ => LoopbackResponse.Status(401));
        var (client, services) = AiTestKit.Client();
        await using var _ = services;
        await Assert.ThrowsAsync<AiUnavailableException>(async () => await client.RespondAsync(AiTestKit.Request(AiTestKit.Tenant(AiKind.OpenAi, _server.BaseAddress), "hi"), CancellationToken.None));
        Assert.Single(_server.Requests);
    }

    [Fact]
    public async Task A_dropped_connection_is_retried()
    {
        _server.On("POST", "/v1/chat/completions", _ => Completion(new { role = "assistant", content = "ok" }));
        _server.Enqueue("POST", "/v1/chat/completions", LoopbackResponse.Dropped);
        var (client, services) = AiTestKit.Client();
        await using var _ = services;
        var reply = await client.RespondAsync(AiTestKit.Request(AiTestKit.Tenant(AiKind.OpenAi, _server.BaseAddress), "hi"), CancellationToken.None);
        Assert.Equal("ok", reply.Messages[0].Text);
    }

    [Fact]
    public async Task The_breaker_opens_per_tenant_after_repeated_failures()
    {
        _server.On("POST", "/v1/chat/completions", _ => LoopbackResponse.Status(500));
        var (client, services) = AiTestKit.Client(new AiResilienceOptions { RetryBaseDelay = TimeSpan.Zero, BreakerMinimumThroughput = 2, BreakerBreakDuration = TimeSpan.FromSeconds(30) });
        await using var _ = services;
        var tenant = AiTestKit.Tenant(AiKind.OpenAi, _server.BaseAddress, ai => ai.MaxRetries = 0);
        for (var i = 0; i < 2; i++)
            await Assert.ThrowsAsync<AiUnavailableException>(async () => await client.RespondAsync(AiTestKit.Request(tenant, "hi"), CancellationToken.None));
        var open = await Assert.ThrowsAsync<AiUnavailableException>(async () => await client.RespondAsync(AiTestKit.Request(tenant, "hi"), CancellationToken.None));
        Assert.Contains("circuit open", open.Message);
        Assert.Equal(2, _server.Requests.Count);

        // Another tenant on the same endpoint has its own breaker.
        var other = AiTestKit.Tenant(AiKind.OpenAi, _server.BaseAddress, ai => ai.MaxRetries = 0);
        other.Id = "globex";
        await Assert.ThrowsAsync<AiUnavailableException>(async () => await client.RespondAsync(AiTestKit.Request(other, "hi"), CancellationToken.None));
        Assert.Equal(3, _server.Requests.Count);
    }

    [Fact]
    public async Task Endpoint_may_be_the_server_the_api_base_or_the_full_url()
    {
        Assert.Equal("http://h:8000/v1/chat/completions", OpenAiConnector.CompletionsUri(new AiOptions { Endpoint = "http://h:8000" }).ToString());
        Assert.Equal("http://h:8000/v1/chat/completions", OpenAiConnector.CompletionsUri(new AiOptions { Endpoint = "http://h:8000/v1/" }).ToString());
        Assert.Equal("http://h/api/chat/completions", OpenAiConnector.CompletionsUri(new AiOptions { Endpoint = "http://h/api/chat/completions" }).ToString());
        await Task.CompletedTask;
    }
}
