using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Conversations.Gateway;
using Conversations.Gateway.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Conversations.Bench.Postgres;

/// <summary>
/// Durable ingest through one standalone gateway (GatewayApp on loopback, Postgres store, group
/// commit): HTTP POSTs offered open-loop at a fixed rate; latency from the scheduled send to the 200
/// (which the gateway answers only after the append committed). The webhook handler is a minimal JSON
/// one (conversation id + message id), so the number is the gateway + store path, not a platform's
/// parsing. Needs CONVERSATIONS_BENCH_PG (or CONVERSATIONS_TEST_PG).
/// </summary>
public static class GatewayIngestScenario
{
    public static async Task RunAsync(string[] args)
    {
        var rate = Args.Int(args, "rate", 3000);
        var seconds = Args.Int(args, "seconds", 10);
        var conversations = Args.Int(args, "conversations", 5000);
        await using var database = await BenchDatabase.CreateAsync("gateway");
        {
            var gateway = await IngestRatioScenario.StartGatewayAsync(database.ConnectionString);
            using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = new Uri(gateway.Urls.Single()) };
            var body = new string('x', 400);

            async Task<bool> PostAsync(int i)
            {
                var json = $$"""{"conversation":"{{i % conversations}}:{{i % conversations}}","id":"m{{i}}","content":"{{body}}"}""";
                using var response = await http.PostAsync("/webhooks/chatwoot/bench?token=t", new StringContent(json, Encoding.UTF8, "application/json"));
                return response.StatusCode == HttpStatusCode.OK;
            }

            await Parallel.ForEachAsync(Enumerable.Range(-3000, 3000), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) => await PostAsync(i));

            var total = rate * seconds;
            var latencies = new double[total];
            var failures = 0;
            var tasks = new List<Task>(total);
            var clock = Stopwatch.StartNew();
            for (var i = 0; i < total; i++)
            {
                var due = TimeSpan.FromSeconds((double)i / rate);
                var wait = due - clock.Elapsed;
                if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait);
                var index = i;
                tasks.Add(Task.Run(async () =>
                {
                    var ok = false;
                    try { ok = await PostAsync(index); } catch (HttpRequestException) { }
                    if (ok) latencies[index] = (clock.Elapsed - due).TotalMilliseconds;
                    else { Interlocked.Increment(ref failures); latencies[index] = double.NaN; }
                }));
            }
            await Task.WhenAll(tasks);
            var elapsed = clock.Elapsed;
            var sorted = latencies.Where(l => !double.IsNaN(l)).Order().ToArray();
            double P(double p) => sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
            Console.WriteLine($"offered {rate}/s for {seconds} s through one gateway: {sorted.Length} acknowledged (200 after commit) in {elapsed.TotalSeconds:F2} s = {sorted.Length / elapsed.TotalSeconds:F0}/s, {failures} failed");
            Console.WriteLine($"ack latency ms: p50 {P(0.5):F1}  p90 {P(0.9):F1}  p99 {P(0.99):F1}  p99.9 {P(0.999):F1}  max {sorted[^1]:F1}");
            await gateway.StopAsync();
            await gateway.DisposeAsync();
        }
    }
}
