using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Conversations.EndToEnd.Chatwoot;
using Conversations.Gateway.Webhooks.Chatwoot;
using Conversations.TestSupport.Http;
using Conversations.TestSupport.Postgres;
using Conversations.TestSupport.Processes;
using Xunit.Abstractions;

namespace Conversations.EndToEnd.Cluster;

/// <summary>
/// The world of the cluster lifecycle tests: one fresh PostgreSQL database, a fake OpenAI-compatible
/// AI that echoes the customer's last message, and one fake Chatwoot per silo process (each silo's
/// tenant points at its own), so every reply says which silo sent it. Processes are started here and
/// their output is printed when a test fails.
/// </summary>
public sealed partial class LifecycleWorld : IAsyncDisposable
{
    public const string Secret = "cwBotSecret7xQ2mN9pL4vR8kT3";
    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(20);

    private readonly ITestOutputHelper _output;
    private readonly List<ServiceProcess> _processes = [];
    private readonly List<LoopbackServer> _chatwoots = [];
    private readonly ConcurrentQueue<LifecycleReply> _replies = new();
    private readonly ConcurrentQueue<LifecycleStatus> _statuses = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<LifecycleReply>> _firstReply = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _sequence;

    private LifecycleWorld(ITestOutputHelper output, PostgresTestDatabase database, LoopbackServer ai)
    {
        _output = output;
        Database = database;
        Ai = ai;
    }

    public PostgresTestDatabase Database { get; }
    public LoopbackServer Ai { get; }

    /// <summary>Time since the world was created (one clock for every measurement of a test).</summary>
    public TimeSpan Now => _clock.Elapsed;

    public IReadOnlyList<LifecycleReply> AllReplies => [.. _replies];

    public static async Task<LifecycleWorld> CreateAsync(ITestOutputHelper output, string prefix)
    {
        var database = await PostgresTestDatabase.CreateAsync(prefix);
        var ai = await LoopbackServer.StartAsync();
        FakeAi.EchoOpenAi(ai);
        return new LifecycleWorld(output, database, ai);
    }

    /// <summary>Settings every process shares; the tenant's Chatwoot address is added per process.</summary>
    public string[] Common =>
    [
        "--Conversations:Store:Provider=Postgres",
        // Every test class runs in parallel on one server: a process needs far fewer sessions than the default 100.
        $"--Conversations:Store:ConnectionString={Database.ConnectionString};Maximum Pool Size=20",
        "--Conversations:Runtime:Redrive:Interval=00:00:01",
        "--Conversations:Runtime:Redrive:After=00:00:02",
        $"--Conversations:Silo:ShutdownTimeout={ShutdownTimeout:c}",
        "--Orleans:Endpoints:AdvertisedIPAddress=127.0.0.1",
        "--Conversations:Tenants:0:Id=acme",
        "--Conversations:Tenants:0:Platform=Chatwoot",
        "--Conversations:Tenants:0:ApiToken=bot-token-abc",
        $"--Conversations:Tenants:0:WebhookSecret={Secret}",
        "--Conversations:Tenants:0:BotIdentity=3",
        "--Conversations:Tenants:0:Ai:Kind=OpenAi",
        $"--Conversations:Tenants:0:Ai:Endpoint={Ai.BaseAddress.ToString().TrimEnd('/')}",
        "--Conversations:Tenants:0:Ai:Model=test-model",
        "--Conversations:Tenants:0:Ai:ApiKey=sk-test",
        "--Conversations:Tenants:0:Ai:Timeout=00:00:05",
        // Customers here talk for longer than the default 10 bot turns: no handoff (0 = no limit).
        "--Conversations:Tenants:0:Handoff:MaxBotTurns=0",
        "--Logging:LogLevel:Default=Warning",
    ];

    /// <summary>The standalone gateway (it never calls Chatwoot; its tenant still needs an address).</summary>
    public ServiceProcess StartGateway(params string[] extra)
    {
        var process = ServiceProcess.Start("gateway", "Gateway", [.. Common, "--Conversations:Tenants:0:BaseUrl=http://127.0.0.1:9", .. extra]);
        lock (_processes) _processes.Add(process);
        return process;
    }

    /// <summary>A silo process whose replies reach a fake Chatwoot of its own, labelled <paramref name="name"/>.</summary>
    public async Task<ServiceProcess> StartSiloAsync(string name, bool gatewayMounted, params string[] extra)
    {
        var chatwoot = await LoopbackServer.StartAsync();
        chatwoot.On("POST", "/api/v1/accounts/", r =>
        {
            Record(name, r);
            return LoopbackResponse.Json("{\"id\":1}");
        });
        lock (_chatwoots) _chatwoots.Add(chatwoot);
        var process = ServiceProcess.Start(name, "Silo",
        [
            .. Common,
            $"--Conversations:Tenants:0:BaseUrl={chatwoot.BaseAddress.ToString().TrimEnd('/')}",
            $"--Conversations:Gateway:Enabled={(gatewayMounted ? "true" : "false")}",
            .. extra,
        ]);
        lock (_processes) _processes.Add(process);
        return process;
    }

    /// <summary><c>/healthz</c>, then <c>/readyz</c> 200 (for a silo: active in Orleans' membership); returns when it became ready.</summary>
    public async Task<TimeSpan> WaitReadyAsync(ServiceProcess process, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        await process.WaitHealthyAsync(timeout);
        using var http = new HttpClient { BaseAddress = process.Address, Timeout = TimeSpan.FromSeconds(5) };
        string last = "";
        while (true)
        {
            if (process.HasExited) throw new InvalidOperationException($"{process.Name} exited with {process.ExitCode} before it was ready:\n{process.Output}");
            try
            {
                using var response = await http.GetAsync("/readyz");
                last = $"{(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}";
                if (response.IsSuccessStatusCode) return Now;
            }
            catch (HttpRequestException ex) { last = ex.Message; }
            catch (TaskCanceledException) { last = "timed out"; }
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{process.Name} was not ready within {timeout} (last /readyz: {last}):\n{process.Output}");
            await Task.Delay(100);
        }
    }

    /// <summary>A signed Chatwoot webhook with a customer message; returns the HTTP status and how long the answer took.</summary>
    public static async Task<(int Status, TimeSpan Took)> PostAsync(HttpClient http, string text, int conversation)
    {
        using var request = ChatwootPayloads.SignedPost(ChatwootPayloads.Incoming(text, conversation: conversation), Secret);
        var started = Stopwatch.GetTimestamp();
        using var response = await http.SendAsync(request);
        return ((int)response.StatusCode, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>The first reply with exactly this content, from any silo.</summary>
    public Task<LifecycleReply> ReplyTo(string content) =>
        _firstReply.GetOrAdd(content, _ => new TaskCompletionSource<LifecycleReply>(TaskCreationOptions.RunContinuationsAsynchronously)).Task;

    public async Task<LifecycleReply> WaitReplyAsync(string content, TimeSpan timeout)
    {
        try
        {
            return await ReplyTo(content).WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"no reply '{content}' within {timeout}");
        }
    }

    /// <summary>Status changes (<c>toggle_status</c>) of one conversation, from every silo, in arrival order.</summary>
    public List<LifecycleStatus> StatusesOf(int conversation) =>
        [.. _statuses.Where(s => s.Conversation == conversation).OrderBy(s => s.Sequence)];

    /// <summary>Public replies to one conversation, from every silo, in arrival order.</summary>
    public List<LifecycleReply> RepliesOf(int conversation) =>
        [.. _replies.Where(r => r.Conversation == conversation).OrderBy(r => r.Sequence)];

    /// <summary>
    /// Checks that every conversation was answered once per customer message, with replies first
    /// appearing in the customer's order; returns the number of duplicate replies (at-least-once).
    /// </summary>
    public int AssertAnsweredInOrder(IReadOnlyDictionary<int, List<string>> sentByConversation)
    {
        var duplicates = 0;
        foreach (var (conversation, sent) in sentByConversation)
        {
            var replies = RepliesOf(conversation).Select(r => r.Content).ToList();
            var expected = sent.Select(t => "echo: " + t).ToList();
            Assert.Equal(expected, replies.Distinct().ToList());
            duplicates += replies.Count - expected.Count;
        }
        var known = sentByConversation.Keys.ToHashSet();
        Assert.All(_replies, r => Assert.Contains(r.Conversation, known));
        return duplicates;
    }

    /// <summary>Replies sent by each silo, for the report.</summary>
    public string RepliesPerSilo() =>
        string.Join(", ", _replies.GroupBy(r => r.Silo).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"));

    public void Print(string line) => _output.WriteLine($"[{Now.TotalSeconds,6:F1} s] {line}");

    /// <summary>Every process's captured output (on failure).</summary>
    public void PrintOutputs()
    {
        List<ServiceProcess> processes;
        lock (_processes) processes = [.. _processes];
        foreach (var p in processes) _output.WriteLine($"--- {p.Name} (pid {p.Id}{(p.HasExited ? $", exited {p.ExitCode}" : "")}) ---\n{p.Output}");
    }

    /// <summary>Warnings and errors the processes logged (the tests run them at Warning), for the report.</summary>
    public void PrintProblems()
    {
        List<ServiceProcess> processes;
        lock (_processes) processes = [.. _processes];
        foreach (var p in processes)
        {
            // "warn: Category[id]" and the message on the next line.
            var lines = p.Output.Split('\n').Select(l => l.TrimEnd()).ToList();
            var problems = lines
                .Select((l, i) => (Line: l, Next: i + 1 < lines.Count ? lines[i + 1].Trim() : ""))
                .Where(x => x.Line.StartsWith("warn:", StringComparison.Ordinal) || x.Line.StartsWith("fail:", StringComparison.Ordinal) || x.Line.StartsWith("crit:", StringComparison.Ordinal))
                .Select(x => $"{x.Line} {(x.Next.Length > 160 ? x.Next[..160] + "..." : x.Next)}")
                .ToList();
            if (problems.Count == 0) continue;
            // Grouped by shape: ids, ports and durations differ from line to line.
            var byKind = problems.GroupBy(l => Digits().Replace(l, "#")).OrderByDescending(g => g.Count()).Take(8).Select(g => $"{g.Count()} x {g.Key}");
            _output.WriteLine($"{p.Name} logged {problems.Count} warn/fail lines; most frequent:\n  " + string.Join("\n  ", byKind));
        }
    }

    public async ValueTask DisposeAsync()
    {
        List<ServiceProcess> processes;
        lock (_processes) processes = [.. _processes];
        foreach (var p in processes) p.Dispose();
        foreach (var c in _chatwoots) await c.DisposeAsync();
        await Ai.DisposeAsync();
        await Database.DisposeAsync();
    }

    private void Record(string silo, RecordedRequest request)
    {
        if (StatusPath().Match(request.Path) is { Success: true } toggle)
        {
            var status = JsonNode.Parse(request.Body)!["status"]?.GetValue<string>() ?? "";
            _statuses.Enqueue(new LifecycleStatus(silo, int.Parse(toggle.Groups[1].Value, CultureInfo.InvariantCulture), status, Now, Interlocked.Increment(ref _sequence)));
            return;
        }
        var match = MessagesPath().Match(request.Path);
        if (!match.Success) return;
        var body = JsonNode.Parse(request.Body)!;
        if (body["private"]?.GetValue<bool>() == true) return;
        var content = body["content"]?.GetValue<string>();
        if (content is null) return;
        var reply = new LifecycleReply(silo, int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), content, Now, Interlocked.Increment(ref _sequence));
        _replies.Enqueue(reply);
        _firstReply.GetOrAdd(content, _ => new TaskCompletionSource<LifecycleReply>(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult(reply);
    }

    [GeneratedRegex("[0-9]+")]
    private static partial Regex Digits();

    [GeneratedRegex("^/api/v1/accounts/7/conversations/([0-9]+)/messages$")]
    private static partial Regex MessagesPath();

    [GeneratedRegex("^/api/v1/accounts/7/conversations/([0-9]+)/toggle_status$")]
    private static partial Regex StatusPath();
}

/// <summary>A status change as one silo's fake Chatwoot received it; <see cref="Sequence"/> orders it among the replies.</summary>
public sealed record LifecycleStatus(string Silo, int Conversation, string Status, TimeSpan At, long Sequence);

/// <summary>A public reply as one silo's fake Chatwoot received it; <see cref="At"/> on the world's clock.</summary>
public sealed record LifecycleReply(string Silo, int Conversation, string Content, TimeSpan At, long Sequence);

/// <summary>One customer message: when it was posted and when its reply first arrived (world clock).</summary>
public sealed record LifecycleExchange(int Conversation, string Text, TimeSpan PostedAt, TimeSpan AckTook, TimeSpan RepliedAt, string Silo)
{
    public TimeSpan Waited => RepliedAt - PostedAt;
}

/// <summary>
/// A customer per conversation: posts a message, waits for its reply, posts the next one while
/// <c>more(n)</c> says so. Every exchange is recorded with its timings.
/// </summary>
public sealed class LifecycleCustomers(LifecycleWorld world, Func<HttpClient> http, TimeSpan think = default)
{
    private readonly ConcurrentQueue<LifecycleExchange> _exchanges = new();
    private readonly ConcurrentDictionary<int, List<string>> _sent = new();
    private int _answered;

    public int Answered => Volatile.Read(ref _answered);
    public IReadOnlyList<LifecycleExchange> Exchanges => [.. _exchanges];
    public IReadOnlyDictionary<int, List<string>> Sent => _sent.ToDictionary(p => p.Key, p => { lock (p.Value) return p.Value.ToList(); });

    /// <param name="more">Given the number of the next message (from <paramref name="first"/>), whether to send it; may wait (a gate).</param>
    public Task RunAsync(int conversation, Func<int, Task<bool>> more, int first = 1) => Task.Run(async () =>
    {
        var sent = _sent.GetOrAdd(conversation, _ => []);
        for (var n = first; await more(n); n++)
        {
            // Load shaping (a customer reads the answer before typing), not a wait for a condition.
            if (n > first && think > TimeSpan.Zero) await Task.Delay(think);
            var text = $"msg-{conversation}-{n}";
            lock (sent) sent.Add(text);
            var postedAt = world.Now;
            var (status, took) = await LifecycleWorld.PostAsync(http(), text, conversation);
            Assert.True(status == 200, $"webhook '{text}' answered {status}");
            var reply = await world.WaitReplyAsync("echo: " + text, TimeSpan.FromSeconds(60));
            _exchanges.Enqueue(new LifecycleExchange(conversation, text, postedAt, took, reply.At, reply.Silo));
            Interlocked.Increment(ref _answered);
        }
    });
}
