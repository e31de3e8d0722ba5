using System.Net;
using System.Net.Http.Json;
using Conversations.Gateway;
using Conversations.Gateway.Webhooks;
using Conversations.Grains.Conversation;
using Conversations.Silo;
using Conversations.TestSupport.Network;
using Conversations.TestSupport.Postgres;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Conversations.EndToEnd.Cluster;

/// <summary>
/// The real compositions on one PostgreSQL database, over real HTTP on loopback: a standalone
/// gateway (GatewayApp, an Orleans client) appends webhooks durably and wakes the grains; two
/// Orleans silos (SiloApp, webhook endpoints disabled, ADO.NET clustering and storage) run the
/// turns. One silo is then stopped (SIGTERM path) under load.
/// </summary>
public sealed class ClusterOverHttpTests
{
    private static readonly string[] Timings =
    [
        "--Conversations:Store:Provider=Postgres",
        "--Conversations:Runtime:Redrive:Interval=00:00:01",
        "--Conversations:Runtime:Redrive:After=00:00:02",
        "--Conversations:Tenants:0:Id=acme",
        "--Conversations:Tenants:0:Platform=Chatwoot",
        "--Conversations:Tenants:0:UrlToken=url-token",
    ];

    [Fact]
    public async Task Gateway_and_two_silos_process_every_webhook_once_in_order_across_a_drain()
    {
        await using var database = await PostgresTestDatabase.CreateAsync("http");
        // Every test class runs in parallel on one server: a silo or gateway needs far fewer sessions than the default 100.
        string[] common = [.. Timings, $"--Conversations:Store:ConnectionString={database.ConnectionString};Maximum Pool Size=30"];

        var gateway = GatewayApp.Build(["--urls", "http://127.0.0.1:0", .. common], b =>
        {
            b.Logging.ClearProviders();
            b.Services.RemoveAll<IWebhookHandler>();
            b.Services.AddSingleton<IWebhookHandler, NumberedHandler>();
        });
        await gateway.StartAsync();
        var replies = new List<RecordingReplies>();
        async Task<WebApplication> StartSiloAsync(string name)
        {
            var sender = new RecordingReplies { Silo = name };
            replies.Add(sender);
            var silo = SiloApp.Build(["--urls", "http://127.0.0.1:0", "--Conversations:Gateway:Enabled=false", .. OrleansTestPorts.SiloArgs(), .. common], b =>
            {
                b.Logging.ClearProviders();
                b.Services.AddSingleton<IConversationPolicyFactory>(new NumberedGrains());
                b.Services.AddSingleton<IOutboxSender>(sender);
            });
            await silo.StartAsync();
            return silo;
        }
        var a = await StartSiloAsync("a");
        var b = await StartSiloAsync("b");
        try
        {
            // The test is about a drain of a silo that serves conversations: both must be active members first.
            await WaitUntilBothActiveAsync(a, b);
            using var http = new HttpClient { BaseAddress = new Uri(gateway.Urls.Single()) };
            var conversations = Enumerable.Range(0, 30).Select(i => $"c{i}").ToList();
            const int perConversation = 6;

            for (var n = 1; n <= perConversation; n++)
            {
                if (n == 4)
                {
                    // "a" must have answered some of its conversations before it drains, however slow the machine.
                    var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
                    while (replies[0].Sent.IsEmpty)
                    {
                        Assert.True(DateTime.UtcNow < until, "silo a sent no reply before the drain");
                        await Task.Delay(50);
                    }
                    await a.StopAsync(); // SIGTERM: drain, hand shards to b
                }
                await Parallel.ForEachAsync(conversations, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (c, ct) =>
                {
                    using var response = await http.PostAsJsonAsync($"/webhooks/chatwoot/acme?token=url-token", new { conversation = c, n }, ct);
                    Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                });
            }

            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            foreach (var c in conversations)
            {
                var key = new ConversationKey("acme", c);
                while (true)
                {
                    var snapshot = await b.Services.GetRequiredService<IGrainFactory>().GetConversation(key).GetSnapshotAsync();
                    var history = NumberedGrains.Decode(snapshot.State);
                    if (history.Length >= perConversation)
                    {
                        Assert.Equal(Enumerable.Range(1, perConversation), history);
                        break;
                    }
                    Assert.True(DateTime.UtcNow < deadline, $"{c} processed only {string.Join(",", history)}");
                    await Task.Delay(50);
                }
            }
            // A turn's replies go out after its write: the last ones may still be on their way when the state shows them.
            bool AllSent() => conversations.All(c => replies.SelectMany(r => r.Sent).Where(s => s.Key.ConversationId == c).Select(s => s.Number).Distinct().Count() == perConversation);
            while (!AllSent() && DateTime.UtcNow < deadline) await Task.Delay(50);
            var sent = replies.SelectMany(r => r.Sent).ToList();
            foreach (var c in conversations)
                Assert.Equal(Enumerable.Range(1, perConversation), sent.Where(s => s.Key.ConversationId == c).Select(s => s.Number).Distinct().Order());
            Assert.Contains(sent, s => s.Silo == "a");
            Assert.Contains(sent, s => s.Silo == "b");
        }
        finally
        {
            await b.StopAsync();
            await gateway.StopAsync();
            await a.DisposeAsync();
            await b.DisposeAsync();
            await gateway.DisposeAsync();
        }
    }

    /// <summary>Both silos see each other as active in Orleans' membership.</summary>
    private static async Task WaitUntilBothActiveAsync(WebApplication a, WebApplication b)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (Active(a) < 2 || Active(b) < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, $"silos not both active: a sees {Active(a)}, b sees {Active(b)}");
            await Task.Delay(50);
        }
        static int Active(WebApplication silo) =>
            silo.Services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.Members.Values.Count(m => m.Status == SiloStatus.Active);
    }
}
