using Conversations.TestSupport.Processes;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Conversations.EndToEnd.Chatwoot;
using Conversations.Gateway.Webhooks.Chatwoot;
using Conversations.TestSupport.Http;
using Conversations.TestSupport.Postgres;
using Xunit.Abstractions;

namespace Conversations.EndToEnd.Cluster;

/// <summary>
/// Real processes: one standalone gateway (an Orleans client) and two Orleans silos (webhook
/// endpoints off, ADO.NET clustering, storage and reminders) on one PostgreSQL
/// database, a fake Chatwoot and a fake OpenAI-compatible AI on loopback. One silo is killed with
/// SIGKILL while customers keep writing: every message must be answered, in order per conversation;
/// duplicates (a send interrupted by the kill is repeated) are counted and reported.
/// </summary>
public sealed class ClusterProcessTests(ITestOutputHelper output)
{
    private const string Secret = "cwBotSecret7xQ2mN9pL4vR8kT3";

    [Theory]
    [InlineData("KILL")] // O1/O2 across processes: kill -9
    [InlineData("STOP")] // O13: a hung silo, its connections open
    public async Task A_silo_killed_or_hung_under_load_loses_no_message_and_keeps_order(string signal)
    {
        await using var database = await PostgresTestDatabase.CreateAsync("procs");
        await using var chatwoot = await LoopbackServer.StartAsync();
        await using var ai = await LoopbackServer.StartAsync();
        chatwoot.On("POST", "/api/v1/accounts/", _ => LoopbackResponse.Json("{\"id\":1}"));
        FakeAi.EchoOpenAi(ai);

        string[] common =
        [
            "--Conversations:Store:Provider=Postgres",
            // Every test class runs in parallel on one server: a silo or gateway needs far fewer sessions than the default 100.
            $"--Conversations:Store:ConnectionString={database.ConnectionString};Maximum Pool Size=30",
            "--Conversations:Runtime:Redrive:Interval=00:00:01",
            "--Conversations:Runtime:Redrive:After=00:00:02",
            "--Orleans:Endpoints:AdvertisedIPAddress=127.0.0.1",
            "--Conversations:Tenants:0:Id=acme",
            "--Conversations:Tenants:0:Platform=Chatwoot",
            $"--Conversations:Tenants:0:BaseUrl={chatwoot.BaseAddress.ToString().TrimEnd('/')}",
            "--Conversations:Tenants:0:ApiToken=bot-token-abc",
            $"--Conversations:Tenants:0:WebhookSecret={Secret}",
            "--Conversations:Tenants:0:BotIdentity=3",
            "--Conversations:Tenants:0:Ai:Kind=OpenAi",
            $"--Conversations:Tenants:0:Ai:Endpoint={ai.BaseAddress.ToString().TrimEnd('/')}",
            "--Conversations:Tenants:0:Ai:Model=test-model",
            "--Conversations:Tenants:0:Ai:ApiKey=sk-test",
            "--Conversations:Tenants:0:Ai:Timeout=00:00:05",
            "--Logging:LogLevel:Default=Warning",
        ];
        using var gateway = ServiceProcess.Start("gateway", "Gateway", common);
        using var a = ServiceProcess.Start("silo-a", "Silo", [.. common, "--Conversations:Gateway:Enabled=false"]);
        using var b = ServiceProcess.Start("silo-b", "Silo", [.. common, "--Conversations:Gateway:Enabled=false"]);
        try
        {
            await Task.WhenAll(gateway.WaitHealthyAsync(TimeSpan.FromSeconds(90)), a.WaitHealthyAsync(TimeSpan.FromSeconds(90)), b.WaitHealthyAsync(TimeSpan.FromSeconds(90)));
            using var http = new HttpClient { BaseAddress = gateway.Address, Timeout = TimeSpan.FromSeconds(30) };
            const int conversations = 30, perConversation = 6;
            var killAfter = new TaskCompletionSource();
            var answered = 0;

            var customers = Enumerable.Range(1, conversations).Select(c => Task.Run(async () =>
            {
                for (var n = 1; n <= perConversation; n++)
                {
                    if (n == 3) await killAfter.Task;
                    var text = $"msg-{c}-{n}";
                    await PostAsync(http, ChatwootPayloads.Incoming(text, conversation: c));
                    await WaitReplyAsync(chatwoot, c, "echo: " + text, TimeSpan.FromSeconds(60));
                    if (Interlocked.Increment(ref answered) == conversations * 2) killAfter.TrySetResult();
                }
            })).ToList();

            await killAfter.Task.WaitAsync(TimeSpan.FromSeconds(120));
            var before = answered;
            if (signal == "KILL") a.Kill(); else a.Signal("STOP");
            var killedAt = DateTime.UtcNow;
            // Shipped membership defaults: the slowest conversation's recovery bounds the failover time.
            await Task.WhenAll(customers).WaitAsync(TimeSpan.FromSeconds(180));
            output.WriteLine($"SIG{signal}: all {conversations * perConversation} messages answered {(DateTime.UtcNow - killedAt).TotalSeconds:F1} s after the signal ({before} before it)");
            if (signal == "STOP") a.Signal("CONT");

            var duplicates = 0;
            for (var c = 1; c <= conversations; c++)
            {
                var replies = Replies(chatwoot, c);
                var expected = Enumerable.Range(1, perConversation).Select(n => $"echo: msg-{c}-{n}").ToList();
                // Order: the first time each reply appears follows the customer's order.
                Assert.Equal(expected, replies.Distinct().ToList());
                duplicates += replies.Count - expected.Count;
            }
            output.WriteLine($"duplicate replies (a send interrupted by kill -9 and repeated): {duplicates}");
            Assert.True(duplicates <= conversations, $"{duplicates} duplicates");
        }
        catch
        {
            output.WriteLine($"--- gateway ---\n{gateway.Output}\n--- silo-a ---\n{a.Output}\n--- silo-b ---\n{b.Output}");
            throw;
        }
    }

    private static async Task PostAsync(HttpClient http, JsonNode payload)
    {
        using var request = ChatwootPayloads.SignedPost(payload, Secret);
        using var response = await http.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
    }

    private static List<string> Replies(LoopbackServer chatwoot, int conversation) =>
        chatwoot.Requests
            .Where(r => r.Method == "POST" && r.Path == $"/api/v1/accounts/7/conversations/{conversation}/messages")
            .Select(r => JsonNode.Parse(r.Body)!)
            .Where(m => m["private"]?.GetValue<bool>() != true)
            .Select(m => m["content"]!.GetValue<string>())
            .ToList();

    private static async Task WaitReplyAsync(LoopbackServer chatwoot, int conversation, string content, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!Replies(chatwoot, conversation).Contains(content))
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"no reply '{content}' within {timeout}");
            await Task.Delay(50);
        }
    }
}
