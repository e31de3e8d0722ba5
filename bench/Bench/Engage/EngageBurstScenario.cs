using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Conversations.TestSupport.Engage;
using Microsoft.AspNetCore.Builder;

namespace Conversations.Bench.Engage;

/// <summary>
/// The Engage proxy under a burst: <c>messages</c> customer messages over <c>threads</c> BOT threads
/// arrive as webhook batches at once; the embedded silo (SiloApp: gateway + Orleans grains, Memory store, built-in
/// Rules AI) answers them through the real Engage client against the fake Engage API, which enforces
/// Engage's own 500 requests/minute with 429s. Prints the busiest 60-second window, 429s, time to
/// answer everything, then the REST calls per answered message in steady state.
/// </summary>
public static class EngageBurstScenario
{
    private const string Secret = "bench-secret";

    public static async Task RunAsync(string[] args)
    {
        var threads = Args.Int(args, "threads", 500);
        var messages = Args.Int(args, "messages", 2000);
        var customers = Args.Int(args, "customers", 100);
        var rpm = Args.Int(args, "rpm", 450);
        var steady = Args.Int(args, "steady", 200);

        await using var engage = await FakeEngageApi.StartAsync();
        engage.RateLimit = 500; // Engage's documented limit, answered with 429 like Engage does
        for (var c = 0; c < customers; c++) engage.AddIdentity(Customer(c), $"Customer {c}");
        var threadIds = Enumerable.Range(0, threads).Select(_ => { var t = EngagePayloads.NewId("65f2"); engage.AddThread(t, EngagePayloads.BotCategory); return t; }).ToArray();

        await using var silo = await StartSiloAsync(engage, rpm);
        using var http = new HttpClient { BaseAddress = new Uri(silo.Urls.Single()), Timeout = TimeSpan.FromMinutes(2) };

        // The burst: every message exists in Engage and is announced by webhook batches of 10, 8 concurrent posters.
        var events = new List<JsonObject>(messages);
        var firstSeen = new HashSet<string>();
        for (var i = 0; i < messages; i++)
        {
            var thread = threadIds[i % threads];
            var author = Customer(i % threads % customers);
            var content = engage.AddCustomerContent(thread, $"message {i} about order {i * 7}", author);
            events.Add(EngagePayloads.CustomerMessage(thread, $"message {i} about order {i * 7}", content, author, firstInThread: firstSeen.Add(thread)));
        }
        var clock = Stopwatch.StartNew();
        var posted = 0;
        await Parallel.ForEachAsync(events.Chunk(10), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (batch, ct) =>
        {
            using var response = await PostAsync(http, EngagePayloads.Envelope(batch), ct);
            if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"webhook answered {(int)response.StatusCode}");
            Interlocked.Add(ref posted, batch.Length);
        });
        var accepted = clock.Elapsed;

        // Answered = each thread's last content has a bot reply (bursts in one thread are answered together).
        var lastContent = events.GroupBy(e => (string)e["resource"]!["metadata"]!["thread_id"]!).ToDictionary(g => g.Key, g => (string)g.Last()["resource"]!["id"]!);
        while (true)
        {
            var answered = engage.BotReplies().Select(r => r.InReplyToId).ToHashSet();
            var pending = lastContent.Count(p => !answered.Contains(p.Value));
            if (pending == 0) break;
            if (clock.Elapsed > TimeSpan.FromMinutes(30)) throw new TimeoutException($"{pending} threads still unanswered after 30 minutes");
            await Task.Delay(500);
        }
        var done = clock.Elapsed;
        var burstRequests = engage.Requests.Count;
        var replies = engage.BotReplies().Count;
        var byKind = engage.Requests.GroupBy(r => $"{r.Method} {r.Path.Split('/')[2]}").OrderByDescending(g => g.Count()).Select(g => $"{g.Key}={g.Count()}");

        Console.WriteLine($"engage-burst: {messages:N0} customer messages over {threads:N0} threads ({customers} customers), client budget {rpm}/min, fake Engage limit 500/min, {Environment.ProcessorCount} cores");
        Console.WriteLine($"  webhooks accepted (200) in {accepted.TotalSeconds:F2} s");
        Console.WriteLine($"  every thread answered after {done.TotalSeconds:F1} s: {replies:N0} replies (each thread's burst answered in reply to its newest content)");
        Console.WriteLine($"  Engage requests: {burstRequests:N0} ({string.Join(", ", byKind)})");
        Console.WriteLine($"  busiest 60 s window: {engage.MaxRequestsIn(TimeSpan.FromMinutes(1))} requests; 429 answers: {engage.RateLimited}");

        // Steady state: identities, bot user and histories are cached; one message at a time per thread.
        engage.ClearRequests();
        var before = engage.BotReplies().Count;
        var latencies = new List<double>();
        for (var i = 0; i < steady; i++)
        {
            var thread = threadIds[i % threads];
            var author = Customer(i % threads % customers);
            var content = engage.AddCustomerContent(thread, $"steady {i}", author);
            var sent = Stopwatch.GetTimestamp();
            using (var response = await PostAsync(http, EngagePayloads.Envelope(EngagePayloads.CustomerMessage(thread, $"steady {i}", content, author)), CancellationToken.None))
                response.EnsureSuccessStatusCode();
            while (!engage.BotReplies(thread).Any(r => r.InReplyToId == content)) await Task.Delay(1);
            latencies.Add(Stopwatch.GetElapsedTime(sent).TotalMilliseconds);
        }
        var steadyRequests = engage.Requests.Count;
        var steadyReplies = engage.BotReplies().Count - before;
        latencies.Sort();
        Console.WriteLine($"  steady state: {steadyReplies} messages answered with {steadyRequests} Engage requests = {steadyRequests / (double)steadyReplies:F2} per answered message");
        Console.WriteLine($"  steady state webhook -> reply posted: p50 {latencies[latencies.Count / 2]:F1} ms, p95 {latencies[(int)(latencies.Count * 0.95)]:F1} ms");
        await silo.StopAsync();
    }

    private static string Customer(int n) => "65f0cccc" + n.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);

    private static Task<HttpResponseMessage> PostAsync(HttpClient http, JsonObject envelope, CancellationToken cancellationToken)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/engage/bench") { Content = new StringContent(envelope.ToJsonString(), Encoding.UTF8, "application/json") };
        request.Headers.Add("X-Dimelo-Secret", Secret);
        return http.SendAsync(request, cancellationToken);
    }

    private static Task<WebApplication> StartSiloAsync(FakeEngageApi engage, int rpm) =>
        BenchSilo.StartAsync(
        [
            "--Logging:LogLevel:Default=Error",
            "--Conversations:Tenants:0:Id=bench",
            "--Conversations:Tenants:0:Platform=Engage",
            $"--Conversations:Tenants:0:BaseUrl={engage.BaseAddress}",
            $"--Conversations:Tenants:0:ApiToken={engage.Token}",
            "--Conversations:Tenants:0:VerifyToken=verify",
            $"--Conversations:Tenants:0:WebhookSecret={Secret}",
            $"--Conversations:Tenants:0:BotIdentity={engage.BotUserId}",
            $"--Conversations:Tenants:0:Engage:BotCategoryId={EngagePayloads.BotCategory}",
            $"--Conversations:Tenants:0:Engage:AgentCategoryId={EngagePayloads.AgentCategory}",
            $"--Conversations:Tenants:0:Engage:RequestsPerMinute={rpm.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
            "--Conversations:Tenants:0:Handoff:MaxBotTurns=0",
            "--Conversations:Tenants:0:Ai:Kind=Rules",
            "--Conversations:Tenants:0:Ai:Rules:0:Pattern=.",
            "--Conversations:Tenants:0:Ai:Rules:0:Reply=Thanks, I am looking into it.",
            // Queued requests wait for the budget; the per-attempt timeout starts once they leave.
            "--Conversations:Platforms:Http:Timeout=00:00:30",
        ]);
}
