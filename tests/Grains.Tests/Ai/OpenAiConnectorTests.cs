using System.Text.Json;
using Conversations.Grains.Ai;
using Conversations.Grains.Ai.OpenAi;
using Conversations.Grains.Conversation;
using Conversations.TestSupport.Http;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

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
        Assert.StartsWith("application/json", request.Header("Content-Type"));
        Assert.Equal(System.Text.Encoding.UTF8.GetByteCount(request.Body).ToString(), request.Header("Content-Length"));
        var body = request.Json();
        Assert.Equal("m1", body.GetProperty("model").GetString());
        Assert.Contains("contact.name: Maria Lopez", body.GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.Equal("user", body.GetProperty("messages")[1].GetProperty("role").GetString());
        Assert.Equal("hi", body.GetProperty("messages")[1].GetProperty("content").GetString());
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
    public async Task A_retry_is_reported_by_pollys_meter_with_the_ai_pipeline_and_tenant()
    {
        var retries = new List<(string? Pipeline, string? Instance)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) => { if (instrument.Meter.Name == "Polly") l.EnableMeasurementEvents(instrument); };
        listener.SetMeasurementEventCallback<int>((instrument, _, tags, _) =>
        {
            var named = new Dictionary<string, string?>();
            foreach (var t in tags) named[t.Key] = t.Value?.ToString();
            if (instrument.Name == "resilience.polly.strategy.events" && named.GetValueOrDefault("event.name") == "OnRetry")
                lock (retries) retries.Add((named.GetValueOrDefault("pipeline.name"), named.GetValueOrDefault("pipeline.instance")));
        });
        listener.Start();
        _server.On("POST", "/v1/chat/completions", _ => LoopbackResponse.Status(503));
        var (client, services) = AiTestKit.Client();
        await using var _ = services;
        // A tenant of this test's own: Polly's meter is the process's, and other tests retry for acme at the same time.
        var tenant = AiTestKit.Tenant(AiKind.OpenAi, _server.BaseAddress);
        tenant.Id = "polly-meter-test";
        await Assert.ThrowsAsync<AiUnavailableException>(async () => await client.RespondAsync(AiTestKit.Request(tenant, "hi"), CancellationToken.None));
        lock (retries) Assert.Contains((AiPipelines.PipelineName, "polly-meter-test"), retries);
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

    private async Task<Exception> FailureAsync(TenantOptions tenant)
    {
        var (client, services) = AiTestKit.Client();
        await using var _ = services;
        return await Assert.ThrowsAsync<AiUnavailableException>(async () => await client.RespondAsync(AiTestKit.Request(tenant, "hi"), CancellationToken.None));
    }

    [Fact]
    public async Task A_tool_call_hands_off_with_its_reason_and_text()
    {
        _server.On("POST", "/v1/chat/completions", _ => Completion(new
        {
            role = "assistant",
            content = "Let me get a colleague.",
            tool_calls = new[] { new { id = "call_1", type = "function", function = new { name = "handoff_to_human", arguments = "{\"reason\":\"refund over the limit\"}" } } },
        }));
        var (client, services) = AiTestKit.Client();
        await using var _ = services;
        var reply = await client.RespondAsync(AiTestKit.Request(AiTestKit.Tenant(AiKind.OpenAi, _server.BaseAddress), "refund please"), CancellationToken.None);
        Assert.True(reply.Handoff);
        Assert.Equal("refund over the limit", reply.HandoffReason);
        Assert.Equal("Let me get a colleague.", Assert.Single(reply.Messages).Text);
    }

    [Fact]
    public async Task Another_tool_call_is_not_a_handoff()
    {
        _server.On("POST", "/v1/chat/completions", _ => Completion(new
        {
            role = "assistant",
            content = "ok",
            tool_calls = new[] { new { id = "c", type = "function", function = new { name = "lookup_order", arguments = "{}" } } },
        }));
        var (client, services) = AiTestKit.Client();
        await using var _ = services;
        var reply = await client.RespondAsync(AiTestKit.Request(AiTestKit.Tenant(AiKind.OpenAi, _server.BaseAddress), "hi"), CancellationToken.None);
        Assert.False(reply.Handoff);
        Assert.Equal("ok", reply.Messages[0].Text);
    }

    [Fact]
    public async Task A_500_is_retried_then_unavailable()
    {
        _server.On("POST", "/v1/chat/completions", _ => LoopbackResponse.Json("{\"error\":{\"message\":\"boom\"}}", 500));
        var ex = await FailureAsync(AiTestKit.Tenant(AiKind.OpenAi, _server.BaseAddress));
        Assert.Equal("OpenAI-compatible server answered HTTP 500", ex.Message);
        Assert.IsType<AiTransientException>(ex.InnerException);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task A_slow_answer_times_out_per_attempt()
    {
        _server.On("POST", "/v1/chat/completions", _ => Completion(new { role = "assistant", content = "too late" }).After(TimeSpan.FromSeconds(5)));
        var started = DateTimeOffset.UtcNow;
        var ex = await FailureAsync(AiTestKit.Tenant(AiKind.OpenAi, _server.BaseAddress, ai => { ai.Timeout = TimeSpan.FromMilliseconds(300); ai.MaxRetries = 1; }));
        Assert.StartsWith("timed out after", ex.Message);
        Assert.True(DateTimeOffset.UtcNow - started < TimeSpan.FromSeconds(4), "each attempt stops at Ai:Timeout");
        Assert.Equal(2, _server.Requests.Count);
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"choices\":[{\"index\":0,\"message\":")]
    public async Task A_malformed_body_is_retried_then_unavailable(string body)
    {
        _server.On("POST", "/v1/chat/completions", _ => LoopbackResponse.Json(body));
        var ex = await FailureAsync(AiTestKit.Tenant(AiKind.OpenAi, _server.BaseAddress));
        Assert.StartsWith("unreadable answer", ex.Message);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Theory]
    [InlineData("{\"choices\":[]}", "without choices")]
    [InlineData("{}", "without choices")]
    [InlineData("{\"choices\":[{\"index\":0,\"finish_reason\":\"stop\"}]}", "without a message")]
    public async Task An_answer_without_choices_is_retried_then_unavailable(string body, string problem)
    {
        _server.On("POST", "/v1/chat/completions", _ => LoopbackResponse.Json(body));
        var ex = await FailureAsync(AiTestKit.Tenant(AiKind.OpenAi, _server.BaseAddress));
        Assert.Equal($"OpenAI-compatible server answered {problem}", ex.Message);
        Assert.Equal(2, _server.Requests.Count);
    }

    [Fact]
    public async Task A_429_waits_for_retry_after_ms()
    {
        _server.On("POST", "/v1/chat/completions", _ => Completion(new { role = "assistant", content = "ok" }));
        _server.Enqueue("POST", "/v1/chat/completions", LoopbackResponse.Json("{\"error\":{\"code\":\"rate_limit_exceeded\"}}", 429).WithHeader("retry-after-ms", "600"));
        var (client, services) = AiTestKit.Client(new AiResilienceOptions { RetryBaseDelay = TimeSpan.Zero });
        await using var _ = services;
        var reply = await client.RespondAsync(AiTestKit.Request(AiTestKit.Tenant(AiKind.OpenAi, _server.BaseAddress), "hi"), CancellationToken.None);
        Assert.Equal("ok", reply.Messages[0].Text);
        Assert.True(_server.Requests[1].ReceivedAt - _server.Requests[0].ReceivedAt >= TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public async Task The_failures_map_as_for_the_other_http_engines()
    {
        var time = TimeProvider.System;
        Assert.Equal(TimeSpan.FromSeconds(7), Map(429, ("Retry-After", "7")) is AiTransientException { RetryAfter: var wait } ? wait : null);
        Assert.IsType<AiRejectedException>(Map(429, body: "{\"error\":{\"code\":\"insufficient_quota\"}}"));
        Assert.IsType<AiTransientException>(Map(408));
        Assert.IsType<AiTransientException>(Map(409, ("x-should-retry", "true")));
        Assert.IsType<AiRejectedException>(Map(503, ("x-should-retry", "false")));
        Assert.IsType<AiRejectedException>(Map(404));
        await Task.CompletedTask;

        Exception Map(int status, (string, string)? header = null, string body = "{}")
        {
            var response = new LoopbackResponse(status, body);
            if (header is var (name, value)) response = response.WithHeader(name, value);
            _server.Enqueue("POST", "/v1/chat/completions", response);
            using var http = new HttpClient();
            var pipeline = System.ClientModel.Primitives.ClientPipeline.Create(new System.ClientModel.Primitives.ClientPipelineOptions
            {
                Transport = new System.ClientModel.Primitives.HttpClientPipelineTransport(http),
                RetryPolicy = new System.ClientModel.Primitives.ClientRetryPolicy(0),
            });
            using var message = pipeline.CreateMessage();
            message.Request.Method = "POST";
            message.Request.Uri = new Uri(_server.BaseAddress, "v1/chat/completions");
            message.Request.Content = System.ClientModel.BinaryContent.Create(BinaryData.FromString("{}"));
            pipeline.Send(message);
            return ChatClientFailures.Map(new System.ClientModel.ClientResultException(message.Response!), time, "test");
        }
    }

    [Fact]
    public async Task Without_an_api_key_no_authorization_is_sent()
    {
        _server.On("POST", "/v1/chat/completions", _ => Completion(new { role = "assistant", content = "ok" }));
        var (client, services) = AiTestKit.Client();
        await using var _ = services;
        await client.RespondAsync(AiTestKit.Request(AiTestKit.Tenant(AiKind.OpenAi, new Uri(_server.BaseAddress, "v1/")), "hi"), CancellationToken.None);
        var request = Assert.Single(_server.Requests);
        Assert.Equal("/v1/chat/completions", request.Path);
        Assert.Null(request.Header("Authorization"));
        Assert.Equal(OpenAiConnector.DefaultModel, request.Json().GetProperty("model").GetString());
    }

    [Fact]
    public async Task A_server_refusing_tools_gets_the_text_marker_and_is_remembered()
    {
        _server.On("POST", "/v1/chat/completions", r => r.Body.Contains("\"tools\"", StringComparison.Ordinal)
            ? LoopbackResponse.Json("{\"error\":{\"message\":\"tools unsupported\"}}", 400)
            : Completion(new { role = "assistant", content = "Sorry.\n[HANDOFF] legal question" }));
        var (client, services) = AiTestKit.Client();
        await using var _ = services;
        var tenant = AiTestKit.Tenant(AiKind.OpenAi, _server.BaseAddress);
        var reply = await client.RespondAsync(AiTestKit.Request(tenant, "can I sue?"), CancellationToken.None);
        Assert.True(reply.Handoff);
        Assert.Equal("legal question", reply.HandoffReason);
        Assert.Equal("Sorry.", reply.Messages[0].Text);
        Assert.Contains(OpenAiConnector.HandoffMarker, _server.Requests[1].Json().GetProperty("messages")[0].GetProperty("content").GetString());

        await client.RespondAsync(AiTestKit.Request(tenant, "again"), CancellationToken.None);
        Assert.Equal(3, _server.Requests.Count);
        Assert.False(_server.Requests[2].Json().TryGetProperty("tools", out var __));
    }

    [Fact]
    public async Task Assist_sends_no_tools()
    {
        _server.On("POST", "/v1/chat/completions", _ => Completion(new { role = "assistant", content = "Suggest: ok" }));
        var (client, services) = AiTestKit.Client();
        await using var _ = services;
        var request = AiTestKit.Request(AiTestKit.Tenant(AiKind.OpenAi, _server.BaseAddress), "hi") with { Purpose = AiPurpose.Assist };
        var reply = await client.RespondAsync(request, CancellationToken.None);
        Assert.Equal("Suggest: ok", reply.Messages[0].Text);
        Assert.False(Assert.Single(_server.Requests).Json().TryGetProperty("tools", out var __));
    }

    [Fact]
    public async Task A_host_chat_client_replaces_the_openai_one()
    {
        var plugged = new ScriptedChatClient(new ChatResponse(new ChatMessage(ChatRole.Assistant, [new TextContent("from the host"), new FunctionCallContent("c1", OpenAiConnector.HandoffTool, new Dictionary<string, object?> { ["reason"] = "asked for a person" })])));
        var (client, services) = AiTestKit.Client(configure: s => s.AddSingleton<IChatClient>(plugged));
        await using var _ = services;
        var tenant = AiTestKit.Tenant(AiKind.OpenAi, endpoint: null, ai => ai.Model = "m2");
        var reply = await client.RespondAsync(AiTestKit.Request(tenant, "one", "two"), CancellationToken.None);

        Assert.Equal("from the host", reply.Messages[0].Text);
        Assert.True(reply.Handoff);
        Assert.Equal("asked for a person", reply.HandoffReason);
        var (messages, options) = Assert.Single(plugged.Calls);
        Assert.Equal([ChatRole.System, ChatRole.User, ChatRole.User], messages.Select(m => m.Role));
        Assert.Contains("contact.name: Maria Lopez", messages[0].Text);
        Assert.Equal("m2", options!.ModelId);
        Assert.Equal(OpenAiConnector.HandoffTool, Assert.Single(options.Tools!).Name);
        Assert.Empty(_server.Requests);
    }

    [Fact]
    public async Task A_chat_client_keyed_by_tenant_wins_and_its_failures_hand_off()
    {
        var acme = new ScriptedChatClient(failure: new InvalidOperationException("model offline"));
        var fallback = new ScriptedChatClient(new ChatResponse(new ChatMessage(ChatRole.Assistant, "unkeyed")));
        var (client, services) = AiTestKit.Client(configure: s => s.AddKeyedSingleton<IChatClient>("acme", acme).AddSingleton<IChatClient>(fallback));
        await using var _ = services;

        var ex = await Assert.ThrowsAsync<AiUnavailableException>(async () => await client.RespondAsync(AiTestKit.Request(AiTestKit.Tenant(AiKind.OpenAi, null), "hi"), CancellationToken.None));
        Assert.Contains("model offline", ex.Message);
        Assert.Single(acme.Calls);

        var globex = AiTestKit.Tenant(AiKind.OpenAi, null);
        globex.Id = "globex";
        var reply = await client.RespondAsync(AiTestKit.Request(globex, "hi"), CancellationToken.None);
        Assert.Equal("unkeyed", reply.Messages[0].Text);
    }

    [Fact]
    public async Task A_window_sent_again_on_the_next_turn_reads_the_same_and_takes_the_new_entries()
    {
        _server.On("POST", "/v1/chat/completions", _ => Completion(new { role = "assistant", content = "ok" }));
        var (client, services) = AiTestKit.Client();
        await using var _ = services;
        var tenant = AiTestKit.Tenant(AiKind.OpenAi, _server.BaseAddress);
        TranscriptEntry[] window =
        [
            new(TranscriptRole.Customer, "where is my order?", DateTimeOffset.UnixEpoch, "Maria"),
            new(TranscriptRole.Bot, "It left yesterday.", DateTimeOffset.UnixEpoch.AddSeconds(1)),
            new(TranscriptRole.Agent, "I checked it too.", DateTimeOffset.UnixEpoch.AddSeconds(2), "Sam"),
        ];
        var first = AiTestKit.Request(tenant) with { Transcript = window };
        var next = first with { Transcript = [.. window, new(TranscriptRole.Customer, "thanks", DateTimeOffset.UnixEpoch.AddSeconds(3), "Maria")] };

        await client.RespondAsync(first, CancellationToken.None);
        await client.RespondAsync(first, CancellationToken.None);
        await client.RespondAsync(next, CancellationToken.None);

        var sent = _server.Requests.Select(r => r.Json().GetProperty("messages").EnumerateArray().Skip(1).Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString())).ToArray()).ToArray();
        (string?, string?)[] expected = [("user", "where is my order?"), ("assistant", "It left yesterday."), ("assistant", "(human agent Sam) I checked it too.")];
        Assert.Equal(expected, sent[0]);
        Assert.Equal(expected, sent[1]);
        Assert.Equal([.. expected, ("user", "thanks")], sent[2]);
    }

    [Fact]
    public async Task A_host_chat_client_gets_messages_of_its_own_on_every_call()
    {
        var plugged = new ScriptedChatClient(new ChatResponse(new ChatMessage(ChatRole.Assistant, "ok")), rewrite: true);
        var (client, services) = AiTestKit.Client(configure: s => s.AddSingleton<IChatClient>(plugged));
        await using var _ = services;
        var request = AiTestKit.Request(AiTestKit.Tenant(AiKind.OpenAi, endpoint: null), "hi");

        await client.RespondAsync(request, CancellationToken.None);
        await client.RespondAsync(request, CancellationToken.None);

        Assert.Equal("hi", plugged.Calls[1].Messages[1].Text);
    }

    /// <summary>A host's own chat client: answers what it was given, records what it was asked.</summary>
    /// <param name="rewrite">Like a middleware that edits what it is given: replaces each message's contents after recording them.</param>
    private sealed class ScriptedChatClient(ChatResponse? response = null, Exception? failure = null, bool rewrite = false) : IChatClient
    {
        public List<(List<ChatMessage> Messages, ChatOptions? Options)> Calls { get; } = [];

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            List<ChatMessage> given = [.. messages];
            lock (Calls) Calls.Add(([.. given.Select(m => m.Clone())], options));
            if (rewrite) foreach (var message in given) message.Contents = [new TextContent("rewritten")];
            return failure is null ? Task.FromResult(response!) : Task.FromException<ChatResponse>(failure);
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

        public void Dispose() { }
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
