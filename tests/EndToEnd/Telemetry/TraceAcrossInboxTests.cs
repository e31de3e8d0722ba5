using System.Diagnostics;
using System.Text.Json.Nodes;
using Conversations.EndToEnd.Chatwoot;
using Conversations.Silo;
using Conversations.TestSupport.Http;
using Conversations.TestSupport.Network;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry;
using OpenTelemetry.Trace;

namespace Conversations.EndToEnd.Telemetry;

/// <summary>
/// One trace from the webhook to the platform send, across the durable inbox: the gateway stores
/// the webhook's trace context with the event, the turn continues it, and the AI call and the
/// Chatwoot REST call are spans of the turn (in-memory exporter, real silo, loopback fakes).
/// </summary>
public sealed class TraceAcrossInboxTests
{
    private const string Secret = "cwBotSecret7xQ2mN9pL4vR8kT3";

    // Matched by the silo's "Conversations.*" sources, so the test's root span is recorded and propagated.
    private static readonly ActivitySource TestSource = new("Conversations.Tests");

    [Fact]
    public async Task A_webhooks_trace_is_the_parent_of_the_turn_whose_ai_and_platform_calls_are_in_it_without_any_text()
    {
        await using var chatwoot = await LoopbackServer.StartAsync();
        await using var ai = await LoopbackServer.StartAsync();
        var spans = new List<Activity>();
        var silo = TracedSilo(chatwoot, ai, spans);
        await silo.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(silo.Urls.Single()) };
            const string text = "where is my parcel 4711";
            // A trace of our own: other tests of this process make spans too, and the listener sees them all.
            var traceId = await PostInTraceAsync(http, text);
            await ReplyAsync(chatwoot);
            // The turn's span ends after its reply is sent and its state committed: a moment after the fake saw the reply.
            await TurnEndedAsync(spans, traceId);
            silo.Services.GetRequiredService<TracerProvider>().ForceFlush();

            Activity[] all;
            lock (spans) all = [.. spans.Where(s => s.TraceId == traceId)];
            var webhook = Assert.Single(all, s => s.Kind == ActivityKind.Server && s.DisplayName.Contains("/webhooks/", StringComparison.Ordinal));
            var turn = Assert.Single(all, s => s.OperationName == "conversation.turn");
            Assert.Equal(webhook.TraceId, turn.TraceId);
            Assert.Equal(webhook.SpanId, turn.ParentSpanId);

            var answer = Assert.Single(all, s => s.OperationName == "ai.respond");
            Assert.Equal(turn.TraceId, answer.TraceId);
            Assert.Equal("OpenAi", answer.GetTagItem("ai.engine"));
            Assert.Equal("test-model", answer.GetTagItem("ai.model"));

            var clientCalls = all.Where(s => s.Kind == ActivityKind.Client && s.TraceId == turn.TraceId).Select(s => s.GetTagItem("url.full") as string ?? "").ToList();
            Assert.Contains(clientCalls, url => url.StartsWith(ai.BaseAddress.ToString().TrimEnd('/'), StringComparison.Ordinal));
            Assert.Contains(clientCalls, url => url.StartsWith(chatwoot.BaseAddress.ToString().TrimEnd('/'), StringComparison.Ordinal) && url.EndsWith("/messages", StringComparison.Ordinal));

            // No message text on any span.
            foreach (var span in all)
                foreach (var tag in span.TagObjects)
                    Assert.DoesNotContain("parcel 4711", tag.Value?.ToString() ?? "");
        }
        finally
        {
            await silo.StopAsync();
            await silo.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("0", false)]
    [InlineData("1", true)]
    public async Task The_standard_sampler_variables_choose_which_traces_are_kept(string ratio, bool kept)
    {
        await using var chatwoot = await LoopbackServer.StartAsync();
        await using var ai = await LoopbackServer.StartAsync();
        var spans = new List<Activity>();
        var silo = TracedSilo(chatwoot, ai, spans, "--OTEL_TRACES_SAMPLER=traceidratio", $"--OTEL_TRACES_SAMPLER_ARG={ratio}");
        // At ratio 0 the silo samples nothing, so the test's root span needs a listener of its own to exist.
        using var rootListener = new ActivityListener
        {
            ShouldListenTo = source => ReferenceEquals(source, TestSource),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(rootListener);
        await silo.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(silo.Urls.Single()) };
            var traceId = await PostInTraceAsync(http, "where is my parcel");
            await ReplyAsync(chatwoot);
            silo.Services.GetRequiredService<TracerProvider>().ForceFlush();

            // The reply went out; the silo's own spans of its trace were kept or not, as the ratio says.
            lock (spans)
            {
                var silosOwn = spans.Where(s => s.TraceId == traceId && !ReferenceEquals(s.Source, TestSource)).ToList();
                if (kept) Assert.Contains(silosOwn, s => s.Kind == ActivityKind.Server && s.DisplayName.Contains("/webhooks/", StringComparison.Ordinal));
                else Assert.Empty(silosOwn);
            }
        }
        finally
        {
            await silo.StopAsync();
            await silo.DisposeAsync();
        }
    }

    private static Microsoft.AspNetCore.Builder.WebApplication TracedSilo(LoopbackServer chatwoot, LoopbackServer ai, List<Activity> spans, params string[] extra)
    {
        chatwoot.On("POST", "/api/v1/accounts/", _ => LoopbackResponse.Json("{\"id\":1}"));
        FakeAi.EchoOpenAi(ai);
        return SiloApp.Build(
        [
            "--urls", "http://127.0.0.1:0", .. OrleansTestPorts.SiloArgs(),
            "--Conversations:Telemetry:Tracing=true",
            "--Conversations:Tenants:0:Id=acme",
            "--Conversations:Tenants:0:Platform=Chatwoot",
            $"--Conversations:Tenants:0:BaseUrl={chatwoot.BaseAddress.ToString().TrimEnd('/')}",
            "--Conversations:Tenants:0:ApiToken=bot-token",
            $"--Conversations:Tenants:0:WebhookSecret={Secret}",
            "--Conversations:Tenants:0:BotIdentity=3",
            "--Conversations:Tenants:0:Ai:Kind=OpenAi",
            $"--Conversations:Tenants:0:Ai:Endpoint={ai.BaseAddress.ToString().TrimEnd('/')}",
            "--Conversations:Tenants:0:Ai:Model=test-model",
            "--Conversations:Tenants:0:Ai:ApiKey=sk-test",
            "--Logging:LogLevel:Default=Warning",
            .. extra,
        ], builder => builder.Services.ConfigureOpenTelemetryTracerProvider(tracing => tracing.AddInMemoryExporter(spans)));
    }

    /// <summary>The webhook sent inside a root span of the test's own, whose trace id it returns.</summary>
    private static async Task<ActivityTraceId> PostInTraceAsync(HttpClient http, string text)
    {
        using var root = TestSource.StartActivity("test.webhook");
        Assert.NotNull(root);
        await PostSignedAsync(http, ChatwootPayloads.Incoming(text));
        return root.TraceId;
    }

    private static async Task TurnEndedAsync(List<Activity> spans, ActivityTraceId traceId)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            lock (spans) if (spans.Any(s => s.TraceId == traceId && s.OperationName == "conversation.turn")) return;
            Assert.True(DateTime.UtcNow < deadline, "the turn's span did not end");
            await Task.Delay(20);
        }
    }

    private static Task ReplyAsync(LoopbackServer chatwoot) =>
        chatwoot.WaitForAsync(r => r.Method == "POST" && r.Path.EndsWith("/messages", StringComparison.Ordinal) && r.Body.Contains("echo: ", StringComparison.Ordinal),
            timeout: TimeSpan.FromSeconds(20));

    private static async Task PostSignedAsync(HttpClient http, JsonNode payload)
    {
        using var request = ChatwootPayloads.SignedPost(payload, Secret);
        using var response = await http.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
    }
}
