using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Conversations.Gateway;
using Conversations.Gateway.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Conversations.Bench.Postgres;

/// <summary>
/// Durable ingest as a fraction of what the machine can do at all: the same closed loop of webhook
/// POSTs (N senders, each waiting for its answer) against (1) a bare Kestrel endpoint that only
/// parses the JSON, (2) the standalone gateway on PostgreSQL (200 after the group-committed append,
/// then a wake to a running silo), (3) the embedded silo (Memory store, mounted gateway, grains
/// running the turns). Prints webhooks/s, p99 and the ratios to the bare endpoint.
/// </summary>
public static class IngestRatioScenario
{
    public static async Task RunAsync(string[] args)
    {
        var seconds = Args.Int(args, "seconds", 10);
        var senders = Args.Int(args, "senders", 64);
        var conversations = Args.Int(args, "conversations", 5000);
        Console.WriteLine($"ingest-ratio: closed loop, {senders} senders, {seconds} s each, {conversations:N0} conversations, {Environment.ProcessorCount} cores");

        var bare = await MeasureAsync("bare Kestrel (parse JSON, 200)", StartBareAsync, seconds, senders, conversations);

        await using var database = await BenchDatabase.CreateAsync("ratio");
        var pg = database.ConnectionString + ";Maximum Pool Size=40";
        // silo=0: no silo, so the gateway stores and skips the wakes (what it does while every silo is down).
        var withSilo = Args.Int(args, "silo", 1) == 1;
        var silo = withSilo
            ? await BenchSilo.StartAsync(["--Conversations:Gateway:Enabled=false", "--Conversations:Store:Provider=Postgres", $"--Conversations:Store:ConnectionString={pg}"],
                new Runtime.NoopPolicyFactory(), new NoopSender())
            : null;
        var gateway = await MeasureAsync(withSilo ? "standalone gateway, PostgreSQL, a silo running the turns" : "standalone gateway, PostgreSQL, no silo",
            () => StartGatewayAsync(pg), seconds, senders, conversations);
        if (silo is not null) await BenchSilo.StopAsync(silo);

        var embedded = await MeasureAsync("embedded silo, Memory store", StartEmbeddedAsync, seconds, senders, conversations);

        Console.WriteLine($"  ratio to bare Kestrel: standalone gateway on PostgreSQL {gateway / bare:F2} x, embedded silo {embedded / bare:F2} x");
    }

    private static async Task<double> MeasureAsync(string name, Func<Task<WebApplication>> start, int seconds, int senders, int conversations)
    {
        var app = await start();
        try
        {
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = senders }) { BaseAddress = new Uri(app.Urls.Single()) };
            var body = new string('x', 400);
            var next = 0;
            async Task<bool> PostAsync()
            {
                var i = Interlocked.Increment(ref next);
                var json = $$"""{"conversation":"{{i % conversations}}:{{i % conversations}}","id":"m{{i}}","content":"{{body}}"}""";
                using var response = await http.PostAsync("/webhooks/chatwoot/bench?token=t", new StringContent(json, Encoding.UTF8, "application/json"));
                return response.StatusCode == HttpStatusCode.OK;
            }

            // Warm-up: connections, JIT, pools.
            await Parallel.ForEachAsync(Enumerable.Range(0, 2000), new ParallelOptions { MaxDegreeOfParallelism = senders }, async (_, _) => await PostAsync());

            var latencies = new List<double>[senders];
            var failures = 0;
            var clock = Stopwatch.StartNew();
            var until = TimeSpan.FromSeconds(seconds);
            await Task.WhenAll(Enumerable.Range(0, senders).Select(s => Task.Run(async () =>
            {
                var mine = latencies[s] = new List<double>(4096);
                while (clock.Elapsed < until)
                {
                    var started = clock.Elapsed;
                    if (await PostAsync()) mine.Add((clock.Elapsed - started).TotalMilliseconds);
                    else Interlocked.Increment(ref failures);
                }
            })));
            var elapsed = clock.Elapsed.TotalSeconds;
            var sorted = latencies.SelectMany(l => l).Order().ToArray();
            double P(double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
            var rate = sorted.Length / elapsed;
            Console.WriteLine($"  {name}: {rate:N0} webhooks/s, latency ms p50 {P(0.5):F2} p99 {P(0.99):F2} max {sorted[^1]:F1}, {failures} not 200");
            return rate;
        }
        finally
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    private static async Task<WebApplication> StartBareAsync()
    {
        var builder = WebApplication.CreateSlimBuilder(["--urls", "http://127.0.0.1:0"]);
        builder.Logging.ClearProviders();
        var app = builder.Build();
        app.MapPost("/webhooks/chatwoot/{tenant}", async (HttpContext context) =>
        {
            using var document = await JsonDocument.ParseAsync(context.Request.Body);
            _ = document.RootElement.GetProperty("conversation").GetString();
            return Results.Ok();
        });
        await app.StartAsync();
        return app;
    }

    /// <summary>The standalone gateway on PostgreSQL with the minimal JSON webhook handler, started.</summary>
    internal static async Task<WebApplication> StartGatewayAsync(string connectionString)
    {
        var gateway = GatewayApp.Build(
        [
            "--urls", "http://127.0.0.1:0", "--Logging:LogLevel:Default=Warning",
            "--Conversations:Store:Provider=Postgres", $"--Conversations:Store:ConnectionString={connectionString}",
            "--Conversations:Tenants:0:Id=bench", "--Conversations:Tenants:0:Platform=Chatwoot", "--Conversations:Tenants:0:UrlToken=t",
        ], b =>
        {
            b.Logging.ClearProviders();
            b.Services.RemoveAll<IWebhookHandler>();
            b.Services.AddSingleton<IWebhookHandler, JsonWebhookHandler>();
        });
        await gateway.StartAsync();
        return gateway;
    }

    private static Task<WebApplication> StartEmbeddedAsync() =>
        BenchSilo.StartAsync(["--Conversations:Tenants:0:Id=bench", "--Conversations:Tenants:0:Platform=Chatwoot", "--Conversations:Tenants:0:UrlToken=t"],
            new Runtime.NoopPolicyFactory(), new NoopSender(), replaceHandler: true);
}
