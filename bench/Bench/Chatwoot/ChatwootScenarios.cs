using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Conversations.Bench.Diagnostics;
using Conversations.Gateway.Webhooks.Chatwoot;
using Conversations.TestSupport.Processes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Bench.Chatwoot;

/// <summary>
/// The Chatwoot agent bot on the real path, all in this process: the embedded silo (gateway + Orleans grains,
/// Memory store) on loopback, a fake Chatwoot and a fake OpenAI-compatible server whose answers take
/// <c>ai-ms</c> (2 s by default).
/// </summary>
public static class ChatwootScenarios
{
    private const string Secret = "bench-secret";

    /// <summary>Webhook acknowledgement latency at a fixed rate while every answer waits on the slow AI.</summary>
    public static async Task AckLatencyAsync(string[] args)
    {
        var rate = Args.Int(args, "rate", 1000);
        var seconds = Args.Int(args, "seconds", 10);
        var conversations = Args.Int(args, "conversations", 2000);
        var aiMs = Args.Int(args, "ai-ms", 2000);
        var minThreads = Args.Int(args, "min-threads", 0);
        if (minThreads > 0) ThreadPool.SetMinThreads(minThreads, minThreads);
        var siloDll = Args.Text(args, "silo");
        await using var world = await BenchWorld.StartAsync(aiMs, typing: !args.Contains("no-typing"), extraSettings: SiloSettings(args), siloDll: siloDll);
        if (args.Contains("open")) world.Status = "open";

        await world.WarmUpAsync(Args.Int(args, "warmup", 4000), aiMs);

        var total = rate * seconds;
        var payloads = Enumerable.Range(0, total).Select(i => world.Incoming(i % conversations, 1_000_000 + i, $"message {i}")).ToArray();
        var latencies = new double[total];
        var statuses = new ConcurrentDictionary<int, int>();
        var lag = 0.0;
        var tasks = new List<Task>(total);
        // Spans are counted where they are made: in this process, so only with the silo in it.
        if (args.Contains("spans") && siloDll is not null) Console.WriteLine("  spans: not counted with silo= (the silo's spans are made in its own process)");
        using var spans = args.Contains("spans") && siloDll is null ? new SpanCounter() : null;
        spans?.Start();
        // Scripts that watch the silo's counters wait for this line.
        Console.WriteLine($"measuring: {rate}/s for {seconds} s");
        var window = ProcessWindow.Start();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < total; i++)
        {
            var due = TimeSpan.FromSeconds(i / (double)rate);
            var wait = due - clock.Elapsed;
            if (wait > TimeSpan.FromMilliseconds(1)) await Task.Delay(wait);
            lag = Math.Max(lag, (clock.Elapsed - due).TotalMilliseconds);
            var index = i;
            var payload = payloads[index];
            tasks.Add(Task.Run(async () =>
            {
                var started = Stopwatch.GetTimestamp();
                var status = await world.FireAsync(payload);
                latencies[index] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
            }));
        }
        await Task.WhenAll(tasks);
        var sent = clock.Elapsed;
        var spent = window.Stop();
        spans?.Stop();
        Array.Sort(latencies);
        Console.WriteLine($"chatwoot-ack: {total:N0} signed webhooks at {rate}/s over {conversations:N0} conversations, AI answers in {aiMs} ms, {Environment.ProcessorCount} cores");
        Console.WriteLine(siloDll is null ? "  silo, fakes and load generator in this process" : $"  silo in its own process ({siloDll}); fakes and load generator in this one");
        Console.WriteLine($"  sent in {sent.TotalSeconds:F2} s (max scheduling lag {lag:F1} ms); statuses: {string.Join(", ", statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}x{s.Value}"))}");
        Console.WriteLine($"  ack latency ms: p50 {Pct(latencies, 50):F2}  p90 {Pct(latencies, 90):F2}  p99 {Pct(latencies, 99):F2}  p99.9 {Pct(latencies, 99.9):F2}  max {latencies[^1]:F2}");
        Console.WriteLine($"  AI requests so far: {world.AiCalls():N0}, Chatwoot replies so far: {world.Replies():N0}");
        Console.WriteLine($"  {(siloDll is null ? "process" : "bench process (not the silo)")} while sending: {spent.Describe(total)}");
        if (siloDll is null) Console.WriteLine($"  last collections: {ProcessWindow.DescribeLastCollections()}");
        spans?.Print(total);
    }

    /// <summary>The slow fake AI alone, in its own process, for chatwoot-concurrent ai=http://127.0.0.1:PORT.</summary>
    public static async Task FakeAiAsync(string[] args)
    {
        await using var ai = await LightFake.StartAsync(_ => (BenchWorld.AiAnswer, TimeSpan.FromMilliseconds(Args.Int(args, "ai-ms", 2000))), Args.Int(args, "port", 5099));
        Console.WriteLine($"fake AI on {ai.BaseAddress} (Ctrl+C to stop)");
        var stop = new TaskCompletionSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; stop.TrySetResult(); };
        AppDomain.CurrentDomain.ProcessExit += (_, _) => stop.TrySetResult();
        await stop.Task;
    }

    /// <summary>N conversations write at once; every answer waits on the slow AI. All must be answered.</summary>
    public static async Task ConcurrentAsync(string[] args)
    {
        var conversations = Args.Int(args, "conversations", 10_000);
        var aiMs = Args.Int(args, "ai-ms", 2000);
        var senders = Args.Int(args, "senders", 64);
        await using var world = await StartWarmWorldAsync(args, aiMs);
        var baseline = world.Replies();

        var payloads = Enumerable.Range(0, conversations).Select(i => world.Incoming(i, 2_000_000 + i, "where is my order?")).ToArray();
        var postedAt = new long[conversations];
        var answeredAt = new long[conversations];
        world.ReplyObserver = c => { if (c < conversations) Interlocked.CompareExchange(ref answeredAt[c], Stopwatch.GetTimestamp(), 0); };
        var next = -1;
        var failed = 0;
        var clock = Stopwatch.StartNew();
        var posting = Task.WhenAll(Enumerable.Range(0, senders).Select(_ => Task.Run(async () =>
        {
            int i;
            while ((i = Interlocked.Increment(ref next)) < payloads.Length)
            {
                postedAt[i] = Stopwatch.GetTimestamp();
                if (await world.FireAsync(payloads[i]) != 200) Interlocked.Increment(ref failed);
            }
        })));
        await posting;
        var ingested = clock.Elapsed;
        var deadline = TimeSpan.FromSeconds(60 + aiMs / 1000.0);
        while (world.Replies() - baseline < conversations && clock.Elapsed < deadline) await Task.Delay(10);
        var elapsed = clock.Elapsed;
        var answered = world.Replies() - baseline;
        var ideal = conversations / (aiMs / 1000.0);
        var throughput = answered / elapsed.TotalSeconds;
        Console.WriteLine($"chatwoot-concurrent: {conversations:N0} conversations, one message each, AI answers in {aiMs} ms, {senders} webhook senders, {Environment.ProcessorCount} cores");
        Console.WriteLine($"  webhooks acknowledged in {ingested.TotalSeconds:F2} s ({failed} not 200); answered {answered:N0}/{conversations:N0} in {elapsed.TotalSeconds:F2} s from the first webhook");
        Console.WriteLine($"  throughput {throughput:N0} answers/s = {100 * throughput / ideal:F0}% of {conversations:N0} / {aiMs / 1000.0:0.#} s");
        Console.WriteLine($"  after the last webhook was acknowledged, the rest were answered within {(elapsed - ingested).TotalSeconds:F2} s (AI latency {aiMs} ms)");
        var waits = Enumerable.Range(0, conversations).Where(i => answeredAt[i] != 0)
            .Select(i => Stopwatch.GetElapsedTime(postedAt[i], answeredAt[i]).TotalSeconds).Order().ToArray();
        if (waits.Length == 0) return;
        Console.WriteLine($"  webhook to reply per conversation, s: p50 {Pct(waits, 50):F2}  p99 {Pct(waits, 99):F2}  max {waits[^1]:F2} (the AI alone takes {aiMs / 1000.0:F2})");
    }

    /// <summary>
    /// N conversations in a closed loop for a while: each sends its next message as soon as the
    /// previous one is answered, so N conversations wait on the slow AI at once, all the time.
    /// Reports answers per second in steady state (after the first round).
    /// </summary>
    public static async Task SustainedAsync(string[] args)
    {
        var conversations = Args.Int(args, "conversations", 10_000);
        var aiMs = Args.Int(args, "ai-ms", 2000);
        var seconds = Args.Int(args, "seconds", 20);
        await using var world = await StartWarmWorldAsync(args, aiMs);

        var answered = new SemaphoreSlim[conversations];
        for (var i = 0; i < conversations; i++) answered[i] = new SemaphoreSlim(0);
        world.ReplyObserver = c => { if (c < conversations) answered[c].Release(); };
        long replies = 0, failed = 0;
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds));
        var clock = Stopwatch.StartNew();
        var measureFrom = TimeSpan.FromSeconds(aiMs / 1000.0 * 2);
        long repliesAtMeasureStart = -1;
        var loops = Enumerable.Range(0, conversations).Select(c => Task.Run(async () =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                if (await world.FireAsync(world.Incoming(c, 3_000_000_000L + c * 100_000L + n, $"question {n}")) != 200) { Interlocked.Increment(ref failed); continue; }
                try { await answered[c].WaitAsync(TimeSpan.FromSeconds(30), stop.Token); }
                catch (OperationCanceledException) { return; }
                Interlocked.Increment(ref replies);
            }
        })).ToList();
        while (clock.Elapsed < measureFrom) await Task.Delay(10);
        repliesAtMeasureStart = Interlocked.Read(ref replies);
        using var sampler = args.Contains("alloc-profile") ? new Diagnostics.AllocationSampler() : null;
        sampler?.Start();
        var allocatedAtMeasureStart = GC.GetTotalAllocatedBytes();
        var gcsAtMeasureStart = GC.CollectionCount(0);
        var measureStart = clock.Elapsed;
        await Task.WhenAll(loops);
        var window = clock.Elapsed - measureStart;
        var answeredInWindow = Interlocked.Read(ref replies) - repliesAtMeasureStart;
        var steady = answeredInWindow / window.TotalSeconds;
        var allocatedPerAnswer = (GC.GetTotalAllocatedBytes() - allocatedAtMeasureStart) / (double)Math.Max(1, answeredInWindow);
        var gcs = GC.CollectionCount(0) - gcsAtMeasureStart;
        var ideal = conversations / (aiMs / 1000.0);
        Console.WriteLine($"chatwoot-sustained: {conversations:N0} conversations in a closed loop for {seconds} s, AI answers in {aiMs} ms, {Environment.ProcessorCount} cores");
        Console.WriteLine($"  steady state (from {measureStart.TotalSeconds:F1} s): {steady:N0} answers/s = {100 * steady / ideal:F0}% of {conversations:N0} / {aiMs / 1000.0:0.#} s; {failed} webhooks not 200");
        Console.WriteLine($"  allocated {allocatedPerAnswer / 1024:N0} KiB per answer (this process: silo, fake Chatwoot, load generator), {gcs} gen0 GCs in the window");
        sampler?.Stop();
        sampler?.Print(Args.Int(args, "alloc-top", 25));
    }

    /// <summary>The silo with its fakes (the AI in another process with <c>ai=URL</c>), warmed up.</summary>
    private static async Task<BenchWorld> StartWarmWorldAsync(string[] args, int aiMs)
    {
        var externalAi = Args.Text(args, "ai") is { } ai ? new Uri(ai) : null;
        var world = await BenchWorld.StartAsync(aiMs, typing: !args.Contains("no-typing"), externalAi, SiloSettings(args));
        await world.WarmUpAsync(Args.Int(args, "warmup", 4000), aiMs);
        return world;
    }

    /// <summary>Arguments of the form <c>--Conversations:...=value</c> go to the silo as they are.</summary>
    private static string[] SiloSettings(string[] args) => [.. args.Where(a => a.StartsWith("--", StringComparison.Ordinal))];

    private static double Pct(double[] sorted, double p) => sorted[Math.Clamp((int)Math.Ceiling(p / 100 * sorted.Length) - 1, 0, sorted.Length - 1)];

    private sealed class BenchWorld : IAsyncDisposable
    {
        private WebApplication? _silo;
        private ServiceProcess? _siloProcess;
        private HttpClient _http = null!;
        private long _replies;

        /// <summary>"pending" (the bot answers) or "open" (humans own it: ingestion and turns without AI or API calls).</summary>
        public string Status { get; set; } = "pending";

        private LightFake _chatwoot = null!;
        private LightFake? _ai;

        public const string AiAnswer = "{\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Your order is on its way.\"},\"finish_reason\":\"stop\"}]}";
        private long _aiCalls;

        public long Replies() => Interlocked.Read(ref _replies);

        /// <summary>Called with the conversation id of every reply the fake Chatwoot receives.</summary>
        public Action<int>? ReplyObserver { get; set; }

        /// <summary>".../conversations/{id}/messages" to id.</summary>
        private static int ConversationOf(string path)
        {
            var end = path.LastIndexOf('/');
            var start = path.LastIndexOf('/', end - 1) + 1;
            return int.Parse(path.AsSpan(start, end - start), CultureInfo.InvariantCulture);
        }

        public long AiCalls() => Interlocked.Read(ref _aiCalls);

        /// <param name="typing">False: the fake Chatwoot refuses toggle_typing_status like versions before PR #13705 (the bot stops trying).</param>
        /// <param name="siloDll">A Conversations.Silo.dll to run in a process of its own (this or another checkout's build, for
        /// side-by-side runs): its GC and CPU are then the silo's alone, not shared with the fakes and the load generator.</param>
        public static async Task<BenchWorld> StartAsync(int aiMs, bool typing = true, Uri? externalAi = null, string[]? extraSettings = null, string? siloDll = null)
        {
            var world = new BenchWorld();
            world._chatwoot = await LightFake.StartAsync(path =>
            {
                if (path.EndsWith("/messages", StringComparison.Ordinal))
                {
                    Interlocked.Increment(ref world._replies);
                    world.ReplyObserver?.Invoke(ConversationOf(path));
                }
                if (!typing && path.EndsWith("/toggle_typing_status", StringComparison.Ordinal)) return (null, TimeSpan.Zero);
                return ("{\"id\":1}", TimeSpan.Zero);
            });
            // An AI in another process (the fake-ai scenario) keeps its 10,000 server sockets out of this
            // process's file limit; the in-process one is fine for smaller runs.
            world._ai = externalAi is null
                ? await LightFake.StartAsync(_ =>
                {
                    Interlocked.Increment(ref world._aiCalls);
                    return (AiAnswer, TimeSpan.FromMilliseconds(aiMs));
                })
                : null;
            var aiEndpoint = (externalAi ?? world._ai!.BaseAddress).ToString().TrimEnd('/');

            string[] settings =
            [
                "--Conversations:Tenants:0:Id=bench",
                "--Conversations:Tenants:0:Platform=Chatwoot",
                $"--Conversations:Tenants:0:BaseUrl={world._chatwoot.BaseAddress.ToString().TrimEnd('/')}",
                "--Conversations:Tenants:0:ApiToken=bench-token",
                $"--Conversations:Tenants:0:WebhookSecret={Secret}",
                "--Conversations:Tenants:0:Ai:Kind=OpenAi",
                $"--Conversations:Tenants:0:Ai:Endpoint={aiEndpoint}",
                "--Conversations:Tenants:0:Ai:Timeout=00:00:30",
                "--Conversations:Tenants:0:Handoff:MaxBotTurns=0",
                "--Conversations:Ai:Resilience:BreakerMinimumThroughput=1000000",
                "--Conversations:Platforms:Http:BreakerMinimumThroughput=1000000",
            ];
            string address;
            if (siloDll is null)
            {
                world._silo = await BenchSilo.StartAsync([.. settings, .. extraSettings ?? []]);
                address = world._silo.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            }
            else
            {
                world._siloProcess = ServiceProcess.StartDll("silo", Path.GetFullPath(siloDll), silo: true,
                    ["--Logging:LogLevel:Default=Warning", "--Logging:LogLevel:Conversations=Warning", "--Logging:LogLevel:Orleans.Runtime.Silo=Warning", .. settings, .. extraSettings ?? []]);
                Console.WriteLine($"silo process: {world._siloProcess.Id}");
                try
                {
                    await world._siloProcess.WaitHealthyAsync(TimeSpan.FromSeconds(60));
                }
                catch
                {
                    await world.DisposeAsync(); // else the silo outlives the bench, holding its ports
                    throw;
                }
                address = world._siloProcess.Address.ToString();
            }
            // No span or traceparent for the load generator's own requests: Chatwoot sends none, and a traced silo in this
            // process would otherwise pay for the client side of its own load.
            world._http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = TimeSpan.FromMinutes(5), ActivityHeadersPropagator = null })
            {
                BaseAddress = new Uri(address),
                Timeout = TimeSpan.FromSeconds(30),
            };
            return world;
        }

        /// <summary>
        /// Tiered compilation and dynamic PGO keep recompiling hot code for tens of seconds after start:
        /// drive the whole path (other conversations and message ids) until it settles, then measure.
        /// </summary>
        public async Task WarmUpAsync(int webhooks, int aiMs)
        {
            var status = Status;
            for (var round = 0; round < 2; round++)
            {
                var before = Replies();
                var next = -1;
                await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(async () =>
                {
                    int i;
                    while ((i = Interlocked.Increment(ref next)) < webhooks)
                        await FireAsync(Incoming(900_000 + i, 50_000_000L + round * 1_000_000 + i, "warm up"));
                })));
                var deadline = Stopwatch.StartNew();
                while (status == "pending" && Replies() - before < webhooks && deadline.Elapsed < TimeSpan.FromSeconds(60)) await Task.Delay(50);
                await Task.Delay(aiMs + 1000);
            }
        }

        /// <summary>A message_created webhook body, written straight to UTF-8 (the load generator shares the CPU with the silo).</summary>
        public byte[] Incoming(int conversation, long messageId, string text)
        {
            var now = DateTimeOffset.UtcNow;
            var buffer = new System.Buffers.ArrayBufferWriter<byte>(1024);
            using (var json = new System.Text.Json.Utf8JsonWriter(buffer))
            {
                json.WriteStartObject();
                json.WriteStartObject("account"); json.WriteNumber("id", 7); json.WriteString("name", "Bench"); json.WriteEndObject();
                json.WriteStartObject("content_attributes"); json.WriteEndObject();
                json.WriteString("content_type", "text");
                json.WriteString("content", text);
                json.WriteStartObject("conversation");
                json.WriteString("channel", "Channel::WebWidget");
                json.WriteNumber("id", conversation);
                json.WriteNumber("inbox_id", 12);
                json.WriteStartArray("messages"); json.WriteEndArray();
                json.WriteStartArray("labels"); json.WriteEndArray();
                json.WriteStartObject("meta"); json.WriteStartObject("sender");
                json.WriteNumber("id", conversation); json.WriteString("name", $"Customer {conversation}"); json.WriteString("type", "contact");
                json.WriteEndObject(); json.WriteEndObject();
                json.WriteString("status", Status);
                json.WriteStartObject("custom_attributes"); json.WriteEndObject();
                json.WriteNumber("updated_at", now.ToUnixTimeMilliseconds() / 1000.0);
                json.WriteEndObject();
                json.WriteString("created_at", now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture));
                json.WriteNumber("id", messageId);
                json.WriteStartObject("inbox"); json.WriteNumber("id", 12); json.WriteString("name", "Website Chat"); json.WriteEndObject();
                json.WriteString("message_type", "incoming");
                json.WriteBoolean("private", false);
                json.WriteStartObject("sender"); json.WriteNumber("id", conversation); json.WriteString("name", $"Customer {conversation}"); json.WriteEndObject();
                json.WriteString("event", "message_created");
                json.WriteEndObject();
            }
            return buffer.WrittenSpan.ToArray();
        }

        public async Task<int> FireAsync(byte[] body)
        {
            var ts = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
            using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/chatwoot/bench") { Content = new ByteArrayContent(body) };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.Add(ChatwootSignature.TimestampHeader, ts.ToString(CultureInfo.InvariantCulture));
            request.Headers.Add(ChatwootSignature.SignatureHeader, ChatwootSignature.Sign(Secret, ts, body));
            try
            {
                using var response = await _http.SendAsync(request);
                return (int)response.StatusCode;
            }
            catch (HttpRequestException) { return -1; }
            catch (TaskCanceledException) { return -2; }
        }

        public async ValueTask DisposeAsync()
        {
            _http?.Dispose(); // null when the silo never became healthy
            if (_silo is not null)
            {
                await _silo.StopAsync();
                await _silo.DisposeAsync();
            }
            if (_siloProcess is not null)
            {
                // Its start-up lines are expected; what it warned of or failed at is worth reading.
                var trouble = _siloProcess.Output.Split('\n').Where(l => l.StartsWith("warn:", StringComparison.Ordinal) || l.StartsWith("fail:", StringComparison.Ordinal) || l.StartsWith("crit:", StringComparison.Ordinal)).ToList();
                if (trouble.Count > 0) Console.WriteLine($"  the silo logged {trouble.Count} warnings or errors; the last ones:\n    {string.Join("\n    ", trouble.TakeLast(6))}");
                await _siloProcess.TerminateAsync();
                await _siloProcess.WaitForExitAsync(TimeSpan.FromSeconds(30));
                _siloProcess.Dispose();
            }
            await _chatwoot.DisposeAsync();
            if (_ai is not null) await _ai.DisposeAsync();
        }
    }
}
