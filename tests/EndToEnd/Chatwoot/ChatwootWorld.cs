using Conversations.TestSupport.Network;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Conversations.Gateway.Webhooks.Chatwoot;
using Conversations.Grains.Conversation;
using Conversations.Storage;
using Conversations.Silo;
using Conversations.TestSupport.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.EndToEnd.Chatwoot;

/// <summary>
/// The whole path on loopback: the real silo (runtime + grains + gateway, Memory store) hosted
/// in-process on port 0, a fake Chatwoot and a fake AI engine as real Kestrel servers.
/// </summary>
public sealed class ChatwootWorld : IAsyncDisposable
{
    public const string Secret = "cwBotSecret7xQ2mN9pL4vR8kT3";
    public const string ApiToken = "bot-token-abc";

    private WebApplication _silo = null!;

    public LoopbackServer Chatwoot { get; private set; } = null!;
    public LoopbackServer Ai { get; private set; } = null!;
    public HttpClient Http { get; private set; } = null!;
    public IServiceProvider Services => _silo.Services;

    /// <param name="settings">Tenant 0 settings relative to Conversations:Tenants:0 (e.g. "Ai:Kind" = "OpenAi"), and absolute keys starting with "Conversations:".</param>
    public static async Task<ChatwootWorld> StartAsync(Dictionary<string, string>? settings = null, Action<LoopbackServer>? scriptAi = null)
    {
        var world = new ChatwootWorld
        {
            Chatwoot = await LoopbackServer.StartAsync(),
            Ai = await LoopbackServer.StartAsync(),
        };
        world.Chatwoot.On("POST", "/api/v1/accounts/", _ => LoopbackResponse.Json("{\"id\":1}"));
        scriptAi?.Invoke(world.Ai);

        var config = new Dictionary<string, string>
        {
            ["Conversations:Tenants:0:Id"] = "acme",
            ["Conversations:Tenants:0:Platform"] = "Chatwoot",
            ["Conversations:Tenants:0:BaseUrl"] = world.Chatwoot.BaseAddress.ToString().TrimEnd('/'),
            ["Conversations:Tenants:0:ApiToken"] = ApiToken,
            ["Conversations:Tenants:0:WebhookSecret"] = Secret,
            ["Conversations:Tenants:0:BotIdentity"] = "3",
            ["Conversations:Tenants:0:Ai:Endpoint"] = world.Ai.BaseAddress.ToString().TrimEnd('/'),
            ["Conversations:Tenants:0:Ai:MaxRetries"] = "1",
            ["Conversations:Tenants:0:Ai:Timeout"] = "00:00:02",
            ["Conversations:Ai:Resilience:RetryBaseDelay"] = "00:00:00.050",
            ["Conversations:Runtime:Outbox:InitialBackoff"] = "00:00:00.100",
            ["Conversations:Runtime:Outbox:MaxBackoff"] = "00:00:00.300",
            ["Conversations:Runtime:Outbox:SweepInterval"] = "00:00:00.100",
            ["Conversations:Runtime:Outbox:MaxAttempts"] = "3",
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
            config[key.StartsWith("Conversations:", StringComparison.Ordinal) ? key : "Conversations:Tenants:0:" + key] = value;

        var args = new List<string> { "--urls", "http://127.0.0.1:0" };
        args.AddRange(config.Select(p => $"--{p.Key}={p.Value}"));
        world._silo = SiloApp.Build([.. args, .. OrleansTestPorts.SiloArgs()]);
        await world._silo.StartAsync();
        var address = world._silo.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        world.Http = new HttpClient { BaseAddress = new Uri(address), Timeout = TimeSpan.FromSeconds(30) };
        return world;
    }

    /// <summary>POSTs a signed webhook like Chatwoot after PR #13892 (timestamp and signature headers, optional delivery id).</summary>
    public async Task<HttpResponseMessage> PostAsync(JsonNode payload, string? delivery = null, long? timestamp = null, string? signature = null, bool sign = true)
    {
        var body = Encoding.UTF8.GetBytes(payload.ToJsonString());
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/chatwoot/acme") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        if (sign)
        {
            var ts = timestamp ?? DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            request.Headers.Add(ChatwootSignature.TimestampHeader, ts.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add(ChatwootSignature.SignatureHeader, signature ?? ChatwootSignature.Sign(Secret, ts, body));
        }
        if (delivery is not null) request.Headers.Add(ChatwootSignature.DeliveryHeader, delivery);
        return await Http.SendAsync(request);
    }

    public async Task PostOkAsync(JsonNode payload, string? delivery = null)
    {
        using var response = await PostAsync(payload, delivery);
        Assert.Equal(200, (int)response.StatusCode);
    }

    /// <summary>Requests the fake Chatwoot got for one conversation's action (messages, toggle_status, toggle_typing_status...).</summary>
    public static Func<RecordedRequest, bool> Api(string action, int conversation = 87, int account = 7) =>
        r => r.Method == "POST" && r.Path == $"/api/v1/accounts/{account}/conversations/{conversation}/{action}";

    public Task<IReadOnlyList<RecordedRequest>> WaitChatwootAsync(string action, int count = 1, int conversation = 87, int account = 7, TimeSpan? timeout = null) =>
        Chatwoot.WaitForAsync(Api(action, conversation, account), count, timeout);

    public IReadOnlyList<RecordedRequest> ChatwootCalls(string action, int conversation = 87, int account = 7) =>
        [.. Chatwoot.Requests.Where(Api(action, conversation, account))];

    /// <summary>Public replies and private notes, in the order the fake saw them.</summary>
    public IReadOnlyList<JsonNode> Messages(int conversation = 87, int account = 7) =>
        [.. ChatwootCalls("messages", conversation, account).Select(r => JsonNode.Parse(r.Body)!)];

    /// <summary>The committed state of a conversation (key "{account}:{display id}"), null before its first turn.</summary>
    public async Task<ConversationState?> StateAsync(string conversation = "7:87")
    {
        var snapshot = await Services.GetRequiredService<IGrainFactory>().GetConversation(new ConversationKey("acme", conversation)).GetSnapshotAsync();
        return snapshot.State.Length == 0 ? null : ConversationStateJson.Deserialize(snapshot.State);
    }

    /// <summary>Waits until the conversation consumed its inbox and sent its actions.</summary>
    public async Task SettleAsync(string conversation = "7:87")
    {
        var key = new ConversationKey("acme", conversation);
        var store = Services.GetRequiredService<IConversationStore>();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            var snapshot = await Services.GetRequiredService<IGrainFactory>().GetConversation(key).GetSnapshotAsync();
            if (snapshot.Pending.Count == 0 && await store.CountAfterAsync(key, snapshot.Cursor, CancellationToken.None) == 0) return;
            await Task.Delay(25);
        }
        throw new TimeoutException("the conversation did not settle");
    }

    public async ValueTask DisposeAsync()
    {
        Http?.Dispose();
        if (_silo is not null)
        {
            await _silo.StopAsync();
            await _silo.DisposeAsync();
        }
        if (Chatwoot is not null) await Chatwoot.DisposeAsync();
        if (Ai is not null) await Ai.DisposeAsync();
    }
}
