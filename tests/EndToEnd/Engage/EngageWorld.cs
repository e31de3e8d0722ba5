using Conversations.TestSupport.Network;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conversations.Gateway.Webhooks;
using Conversations.Grains.Conversation;
using Conversations.Storage;
using Conversations.Silo;
using Conversations.TestSupport.Engage;
using Conversations.TestSupport.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Conversations.EndToEnd.Engage;

/// <summary>
/// The whole Engage path in one process over real HTTP on 127.0.0.1: the silo (gateway + runtime +
/// grains, composed by <see cref="SiloApp.Build"/>), a stateful fake Engage API and a fake AI
/// (the Webhook connector's contract). The fake AI echoes the customer, fails on "FAIL", asks for a
/// human on "handoff please" and answers HTML on "html".
/// </summary>
public sealed class EngageWorld : IAsyncDisposable
{
    public const string Tenant = "acme";
    public const string VerifyToken = "verify-me";
    public const string Secret = "dimelo-secret";

    private EngageWorld(FakeEngageApi engage, LoopbackServer ai, WebApplication silo)
    {
        Engage = engage;
        Ai = ai;
        Silo = silo;
        Http = new HttpClient { BaseAddress = new Uri(silo.Urls.Single()), Timeout = TimeSpan.FromSeconds(30) };
    }

    public FakeEngageApi Engage { get; }
    public LoopbackServer Ai { get; }
    public WebApplication Silo { get; }
    public HttpClient Http { get; }

    public static async Task<EngageWorld> StartAsync(params string[] extraArgs)
    {
        var engage = await FakeEngageApi.StartAsync();
        var ai = await LoopbackServer.StartAsync();
        ai.On("POST", "/bot", Answer);
        string[] args =
        [
            "--urls", "http://127.0.0.1:0",
            $"--Conversations:Tenants:0:Id={Tenant}",
            "--Conversations:Tenants:0:Platform=Engage",
            $"--Conversations:Tenants:0:BaseUrl={engage.BaseAddress}",
            $"--Conversations:Tenants:0:ApiToken={engage.Token}",
            $"--Conversations:Tenants:0:VerifyToken={VerifyToken}",
            $"--Conversations:Tenants:0:WebhookSecret={Secret}",
            $"--Conversations:Tenants:0:BotIdentity={engage.BotUserId}",
            $"--Conversations:Tenants:0:Engage:BotCategoryId={EngagePayloads.BotCategory}",
            $"--Conversations:Tenants:0:Engage:AgentCategoryId={EngagePayloads.AgentCategory}",
            "--Conversations:Tenants:0:Ai:Kind=Webhook",
            $"--Conversations:Tenants:0:Ai:Endpoint={ai.BaseAddress}bot",
            "--Conversations:Tenants:0:Ai:MaxRetries=0",
            "--Conversations:Tenants:0:Handoff:MaxBotTurns=0",
            "--Conversations:Runtime:Outbox:InitialBackoff=00:00:00.200",
            "--Conversations:Runtime:Outbox:MaxBackoff=00:00:02",
            "--Conversations:Runtime:Outbox:SweepInterval=00:00:00.200",
            "--Conversations:Engage:CategoryConflictDelay=00:00:00.050",
            "--Conversations:Silo:ShutdownTimeout=00:00:10",
            .. extraArgs,
        ];
        var silo = SiloApp.Build([.. args, .. OrleansTestPorts.SiloArgs()], builder =>
        {
            builder.Logging.ClearProviders();
            builder.Logging.AddFilter("Conversations", LogLevel.Warning);
            // The integrator composes these in SiloApp; add them only where this build does not yet.
            if (!builder.Services.Any(d => d.ServiceType == typeof(IConversationPolicyFactory)))
                builder.Services.AddConversationsGrains(builder.Configuration);
            builder.Services.AddEngageWebhooks();
        });
        await silo.StartAsync();
        return new EngageWorld(engage, ai, silo);
    }

    private static LoopbackResponse Answer(RecordedRequest request)
    {
        var text = request.Json().GetProperty("event").GetProperty("text").GetString() ?? "";
        if (text.Contains("FAIL", StringComparison.Ordinal)) return LoopbackResponse.Json("""{"error":"model down"}""", 500);
        if (text.Contains("handoff please", StringComparison.Ordinal)) return LoopbackResponse.Json("""{"messages":[],"handoff":true,"handoffReason":"asked"}""");
        if (text.Contains("html", StringComparison.Ordinal))
            return LoopbackResponse.Json(JsonSerializer.Serialize(new { messages = new[] { new { text = "<p>Hello <b>there</b></p><p>Tracking &amp; more</p>" } } }));
        return LoopbackResponse.Json(JsonSerializer.Serialize(new { messages = new[] { new { text = "echo: " + text } } }));
    }

    /// <summary>A thread in the fake Engage with the given own categories (BOT by default).</summary>
    public string NewThread(params string[] categories)
    {
        var thread = EngagePayloads.NewId("65f1");
        Engage.AddThread(thread, categories.Length == 0 ? [EngagePayloads.BotCategory] : categories);
        return thread;
    }

    /// <summary>The customer writes: the content exists in Engage, and the content.imported event for it is returned.</summary>
    public JsonObject CustomerWrites(string thread, string text, bool firstInThread = false, string[]? categories = null, DateTimeOffset? issuedAt = null,
        string? interventionId = null, string author = "65f0a1b2c3d4e5f6012345a1", bool isPrivate = true)
    {
        var content = Engage.AddCustomerContent(thread, text, author, isPrivate: isPrivate);
        return EngagePayloads.CustomerMessage(thread, text, content, author, categories ?? [.. Engage.ThreadCategories(thread)], firstInThread, interventionId, issuedAt, isPrivate: isPrivate);
    }

    public async Task<HttpResponseMessage> PostAsync(JsonObject envelope, string? secret = Secret)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/engage/{Tenant}")
        {
            Content = new StringContent(envelope.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        if (secret is not null) request.Headers.Add("X-Dimelo-Secret", secret);
        return await Http.SendAsync(request);
    }

    public async Task DeliverAsync(params JsonObject[] events)
    {
        using var response = await PostAsync(EngagePayloads.Envelope(events));
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
    }

    public async Task<ConversationState?> StateAsync(string thread)
    {
        var snapshot = await Silo.Services.GetRequiredService<IGrainFactory>().GetConversation(new ConversationKey(Tenant, thread)).GetSnapshotAsync();
        return snapshot.State.Length == 0 ? null : ConversationStateJson.Deserialize(snapshot.State);
    }

    public async Task<ConversationState> WaitForStateAsync(string thread, Func<ConversationState, bool> condition, string what)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            var state = await StateAsync(thread);
            if (state is not null && condition(state)) return state;
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"Timed out waiting for {what}; state: {(state is null ? "none" : JsonSerializer.Serialize(state))}; Engage requests: {string.Join(", ", Engage.Requests)}");
            await Task.Delay(25);
        }
    }

    /// <summary>Parked outbox actions for the tenant.</summary>
    public async Task<IReadOnlyList<ParkedAction>> ParkedAsync() =>
        [.. (await Silo.Services.GetRequiredService<IConversationStore>().ReadParkedAsync(100, CancellationToken.None)).Where(p => p.Key.Tenant == Tenant)];

    /// <summary>Lets the runtime finish what is queued: nothing pending in the inbox or outbox of these threads.</summary>
    public async Task SettleAsync(params string[] threads)
    {
        var store = Silo.Services.GetRequiredService<IConversationStore>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var busy = false;
            foreach (var thread in threads)
            {
                var key = new ConversationKey(Tenant, thread);
                var snapshot = await Silo.Services.GetRequiredService<IGrainFactory>().GetConversation(key).GetSnapshotAsync();
                if (snapshot.Pending.Count > 0 || await store.CountAfterAsync(key, snapshot.Cursor, CancellationToken.None) > 0) busy = true;
            }
            if (!busy) return;
            await Task.Delay(25);
        }
        throw new TimeoutException("runtime did not settle");
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await Silo.StopAsync();
        await Silo.DisposeAsync();
        await Ai.DisposeAsync();
        await Engage.DisposeAsync();
    }
}
