using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Conversations.Gateway;
using Conversations.Gateway.Cluster;
using Conversations.Gateway.Webhooks;
using Conversations.Grains.Conversation;
using Conversations.Silo;
using Conversations.TestSupport.Network;
using Conversations.TestSupport.Postgres;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Npgsql;
using Orleans.Runtime;
using Xunit.Abstractions;

namespace Conversations.EndToEnd.Cluster;

/// <summary>
/// O5 and O6: PostgreSQL (inbox, grain state, Orleans membership) goes away under the cluster. A
/// standalone gateway and two silos (in-process, real compositions, real HTTP on loopback) run on a
/// PostgreSQL server of the test's own. While the server is down every webhook answers 500, never
/// 200, and the customers retry like the platform does; once it is back every message is processed
/// exactly once, in order per conversation (the NumberedGrains state is the processing history), and
/// every reply is sent. A duplicate reply is allowed only from a send made before the server came
/// back (its write-back was cut off); they are counted and printed.
/// </summary>
public sealed class ClusterDatabaseOutageTests(ITestOutputHelper output)
{
    private const int Conversations = 20;
    private const int PerConversation = 8;

    [Fact]
    public Task O5_PostgreSQL_down_then_back_webhooks_answer_500_while_down_and_every_message_is_processed_once_in_order_after() =>
        RunAsync(down: true);

    [Fact]
    public Task O6_PostgreSQL_restarted_under_load_loses_no_message_and_processes_each_once_in_order() =>
        RunAsync(down: false);

    private async Task RunAsync(bool down)
    {
        await using var server = await PrivatePostgresServer.StartAsync();
        var control = await OutagePostgres.OfAsync(server);
        var clock = Stopwatch.StartNew();
        var logs = new OutageLogSink(clock);
        var fatal = new RecordingFatalErrors(logs);
        string[] common =
        [
            "--Conversations:Store:Provider=Postgres",
            $"--Conversations:Store:ConnectionString={server.ConnectionString};Maximum Pool Size=20",
            "--Conversations:Runtime:Redrive:Interval=00:00:01",
            "--Conversations:Runtime:Redrive:After=00:00:02",
            "--Conversations:Tenants:0:Id=acme",
            "--Conversations:Tenants:0:Platform=Chatwoot",
            "--Conversations:Tenants:0:UrlToken=url-token",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Conversations.Grains.Hosting.InboxRedrive=Information",
            "--Logging:LogLevel:Conversations.Gateway.Cluster=Information",
        ];

        var gateway = GatewayApp.Build(["--urls", "http://127.0.0.1:0", .. common], b =>
        {
            logs.Attach(b.Logging, "gateway");
            b.Services.RemoveAll<IWebhookHandler>();
            b.Services.AddSingleton<IWebhookHandler, NumberedHandler>();
        });
        await gateway.StartAsync();
        var replies = new TimedReplies(clock);
        async Task<WebApplication> StartSiloAsync(string name)
        {
            var silo = SiloApp.Build(["--urls", "http://127.0.0.1:0", "--Conversations:Gateway:Enabled=false", .. OrleansTestPorts.SiloArgs(), .. common], b =>
            {
                logs.Attach(b.Logging, name);
                b.Services.AddSingleton<IConversationPolicyFactory>(new NumberedGrains());
                b.Services.AddSingleton<IOutboxSender>(replies.For(name));
                // A silo that finds itself declared dead must not take the test host down with Environment.FailFast: record it.
                b.Services.AddSingleton<IFatalErrorHandler>(fatal);
            });
            await silo.StartAsync();
            return silo;
        }
        var a = await StartSiloAsync("silo-a");
        var b = await StartSiloAsync("silo-b");
        var passed = false;
        try
        {
            await WaitUntilBothActiveAsync(a, b);
            // The test is about the database, not a lost wake: the gateway's Orleans client must reach the cluster first.
            var access = gateway.Services.GetRequiredService<IGrainAccess>();
            var connectBy = DateTime.UtcNow + TimeSpan.FromSeconds(60);
            while (access.Current is null)
            {
                Assert.True(DateTime.UtcNow < connectBy, "the gateway's Orleans client did not connect");
                await Task.Delay(50);
            }
            var membersBefore = ActiveMembers(a);
            using var http = new HttpClient { BaseAddress = new Uri(gateway.Urls.Single()), Timeout = TimeSpan.FromSeconds(30) };
            var keys = Enumerable.Range(1, Conversations).Select(i => new ConversationKey("acme", $"c{i}")).ToList();
            var attempts = new ConcurrentQueue<Attempt>();
            var isDown = 0; // 1 from the moment the stop has completed until just before the start (O5)
            var acknowledged = 0;
            var loadGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var restartAt = Conversations * 3; // O6: restart once this many messages are acknowledged, load still flowing

            // A customer per conversation; each message is retried like the platform does until it is acknowledged.
            async Task SendUntilAcknowledgedAsync(ConversationKey key, int n)
            {
                var deadline = clock.Elapsed + TimeSpan.FromSeconds(120);
                while (true)
                {
                    var downWhenSent = Volatile.Read(ref isDown) == 1;
                    int? status = null;
                    string? error = null;
                    try
                    {
                        using var response = await http.PostAsJsonAsync("/webhooks/chatwoot/acme?token=url-token", new { conversation = key.ConversationId, n });
                        status = (int)response.StatusCode;
                    }
                    catch (Exception ex) { error = $"{ex.GetType().Name}: {ex.Message}"; }
                    var downWhenAnswered = Volatile.Read(ref isDown) == 1;
                    attempts.Enqueue(new Attempt(key.ConversationId, n, status, error, clock.Elapsed, downWhenSent && downWhenAnswered));
                    if (status == 200) return;
                    if (clock.Elapsed > deadline) Assert.Fail($"{key.ConversationId} message {n} not acknowledged within 120 s (last: {status?.ToString() ?? error})");
                    await Task.Delay(200); // the platform's retry, shortened
                }
            }
            var customers = keys.Select(key => Task.Run(async () =>
            {
                for (var n = 1; n <= PerConversation; n++)
                {
                    if (down && n == 3) await loadGate.Task;
                    await SendUntilAcknowledgedAsync(key, n);
                    Interlocked.Increment(ref acknowledged);
                    await Task.Delay(down ? 50 : Random.Shared.Next(50, 250)); // customers type, out of step: the load keeps flowing through the restart
                }
            })).ToList();

            TimeSpan outageStarted, outageEnded;
            if (down)
            {
                // Messages 1 and 2 processed (grains active, their state written), then the server goes away.
                await WaitProcessedAsync(a, keys, 2, TimeSpan.FromSeconds(60));
                outageStarted = clock.Elapsed;
                await control.StopAsync();
                var stopped = clock.Elapsed;
                Volatile.Write(ref isDown, 1);
                loadGate.SetResult();
                // A few seconds down, below the membership's tolerances (IAmAliveTablePublishTimeout 5 s), and until
                // every customer has been refused at least once while it was down.
                // Never longer than 8 s, even on a slow machine (a customer not refused while down fails the test below).
                while (clock.Elapsed - stopped < TimeSpan.FromSeconds(3)
                       || (attempts.Where(x => x.WhileDown).Select(x => x.Conversation).Distinct().Count() < Conversations && clock.Elapsed - stopped < TimeSpan.FromSeconds(8)))
                    await Task.Delay(50);
                Volatile.Write(ref isDown, 0);
                await control.StartAsync();
                outageEnded = clock.Elapsed;
                output.WriteLine($"server stopped at {Seconds(stopped)} (stop took {(stopped - outageStarted).TotalSeconds:F1} s), started again at {Seconds(outageEnded)}: down {(outageEnded - stopped).TotalSeconds:F1} s");
            }
            else
            {
                var until = clock.Elapsed + TimeSpan.FromSeconds(120);
                while (Volatile.Read(ref acknowledged) < restartAt)
                {
                    Assert.True(clock.Elapsed < until, $"only {acknowledged} messages acknowledged before the restart");
                    await Task.Delay(20);
                }
                var startedBefore = await PostmasterStartAsync(server);
                outageStarted = clock.Elapsed;
                var ackedBefore = Volatile.Read(ref acknowledged);
                await server.RestartAsync();
                outageEnded = clock.Elapsed;
                var ackedAfter = Volatile.Read(ref acknowledged);
                Assert.NotEqual(startedBefore, await PostmasterStartAsync(server));
                output.WriteLine($"restart from {Seconds(outageStarted)} to {Seconds(outageEnded)} ({(outageEnded - outageStarted).TotalSeconds:F1} s); acknowledged {ackedBefore} before, {ackedAfter} when it returned, of {Conversations * PerConversation}");
            }

            await Task.WhenAll(customers).WaitAsync(TimeSpan.FromSeconds(180));
            var allAcknowledged = clock.Elapsed;
            var histories = await WaitProcessedAsync(a, keys, PerConversation, TimeSpan.FromSeconds(120));
            var allProcessed = clock.Elapsed;
            await WaitRepliesAsync(replies, keys, TimeSpan.FromSeconds(60));
            var allReplied = clock.Elapsed;

            output.WriteLine($"after the server was back: every webhook acknowledged {(allAcknowledged - outageEnded).TotalSeconds:F1} s, every message processed {(allProcessed - outageEnded).TotalSeconds:F1} s, every reply sent {(allReplied - outageEnded).TotalSeconds:F1} s later");

            // Webhooks: only 200 or 500, never 200 while the server was down, and the outage was really met.
            var all = attempts.ToList();
            var odd = all.Where(x => x.Status is not (200 or 500)).ToList();
            Assert.True(odd.Count == 0, "answers other than 200/500: " + string.Join("; ", odd.Take(10).Select(x => $"{x.Conversation}#{x.N} {x.Status?.ToString() ?? x.Error}")));
            var refused = all.Count(x => x.Status == 500);
            output.WriteLine($"webhook attempts: {all.Count} ({Conversations * PerConversation} messages), 500: {refused}{(down ? $" (while down: {all.Count(x => x.WhileDown && x.Status == 500)})" : "")}, first 500 at {Seconds(all.Where(x => x.Status == 500).Select(x => x.At).DefaultIfEmpty().Min())}, last at {Seconds(all.Where(x => x.Status == 500).Select(x => x.At).DefaultIfEmpty().Max())}");
            if (down)
            {
                Assert.DoesNotContain(all, x => x.WhileDown && x.Status == 200);
                Assert.All(keys, k => Assert.Contains(all, x => x.WhileDown && x.Conversation == k.ConversationId && x.Status == 500));
            }
            Assert.True(refused > 0, "no webhook was refused: the outage missed the load");

            // Exactly once, in order: the committed state is the processing history.
            foreach (var key in keys) Assert.Equal(Enumerable.Range(1, PerConversation), histories[key]);

            // Replies: every one, first sends in order; a duplicate only of a send made before the server was back.
            var sent = replies.Sent.ToList();
            var duplicates = new List<string>();
            foreach (var key in keys)
            {
                var mine = sent.Where(s => s.Key == key).ToList();
                Assert.Equal(Enumerable.Range(1, PerConversation), mine.Select(s => s.Number).Distinct());
                foreach (var group in mine.GroupBy(s => s.Number).Where(g => g.Count() > 1))
                {
                    var times = group.Select(s => s.At).ToList();
                    duplicates.Add($"{key.ConversationId}#{group.Key} x{times.Count} at {string.Join(", ", times.Select(Seconds))} by {string.Join(",", group.Select(s => s.Silo))}");
                    Assert.True(times[0] <= outageEnded, $"{key.ConversationId}#{group.Key} was first sent at {Seconds(times[0])}, after the server was back at {Seconds(outageEnded)}: a duplicate without an outage");
                }
            }
            output.WriteLine($"duplicate replies (send before the outage, write-back cut off): {sent.Count - Conversations * PerConversation}{(duplicates.Count > 0 ? ": " + string.Join("; ", duplicates) : "")}");
            output.WriteLine($"replies sent by silo-a: {sent.Count(s => s.Silo == "silo-a")}, silo-b: {sent.Count(s => s.Silo == "silo-b")}");

            // The outage stayed below the membership's tolerances: both silos are still the same active members.
            output.WriteLine($"membership after: silo-a sees {Describe(a)}; silo-b sees {Describe(b)}");
            Assert.Empty(fatal.Errors);
            await WaitUntilBothActiveAsync(a, b);
            Assert.Equal(membersBefore, ActiveMembers(a));
            Assert.Equal(membersBefore, ActiveMembers(b));
            passed = true;
        }
        finally
        {
            output.WriteLine(logs.Summary(verbose: !passed));
            await Task.WhenAll(b.StopAsync(), a.StopAsync());
            await gateway.StopAsync();
            await a.DisposeAsync();
            await b.DisposeAsync();
            await gateway.DisposeAsync();
        }
    }

    private sealed record Attempt(string Conversation, int N, int? Status, string? Error, TimeSpan At, bool WhileDown);

    private static string Seconds(TimeSpan at) => $"{at.TotalSeconds:F1} s";

    private static async Task<DateTime> PostmasterStartAsync(PrivatePostgresServer server)
    {
        await using var connection = new NpgsqlConnection(server.ConnectionString + ";Pooling=false");
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("select pg_postmaster_start_time()", connection);
        return (DateTime)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>Waits until every conversation's committed history has <paramref name="count"/> numbers; returns the histories.</summary>
    private static async Task<Dictionary<ConversationKey, int[]>> WaitProcessedAsync(WebApplication silo, IReadOnlyList<ConversationKey> keys, int count, TimeSpan timeout)
    {
        var grains = silo.Services.GetRequiredService<IGrainFactory>();
        var deadline = DateTime.UtcNow + timeout;
        var histories = new Dictionary<ConversationKey, int[]>();
        foreach (var key in keys)
        {
            while (true)
            {
                string seen;
                try
                {
                    var history = NumberedGrains.Decode((await grains.GetConversation(key).GetSnapshotAsync()).State);
                    if (history.Length >= count)
                    {
                        histories[key] = history;
                        break;
                    }
                    seen = string.Join(",", history);
                }
                catch (Exception ex) { seen = $"{ex.GetType().Name}: {ex.Message}"; }
                Assert.True(DateTime.UtcNow < deadline, $"{key.ConversationId} processed only [{seen}] of {count} within {timeout.TotalSeconds} s");
                await Task.Delay(100);
            }
        }
        return histories;
    }

    private static async Task WaitRepliesAsync(TimedReplies replies, IReadOnlyList<ConversationKey> keys, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var sent = replies.Sent.Select(s => (s.Key, s.Number)).ToHashSet();
            var missing = keys.SelectMany(k => Enumerable.Range(1, PerConversation).Select(n => (k, n))).Where(x => !sent.Contains(x)).ToList();
            if (missing.Count == 0) return;
            Assert.True(DateTime.UtcNow < deadline, $"{missing.Count} replies never sent, e.g. {string.Join(", ", missing.Take(5).Select(m => $"{m.k.ConversationId}#{m.n}"))}");
            await Task.Delay(100);
        }
    }

    private static async Task WaitUntilBothActiveAsync(WebApplication a, WebApplication b)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (ActiveMembers(a).Count < 2 || ActiveMembers(b).Count < 2)
        {
            Assert.True(DateTime.UtcNow < deadline, $"silos not both active: silo-a sees {Describe(a)}, silo-b sees {Describe(b)}");
            await Task.Delay(50);
        }
    }

    private static List<string> ActiveMembers(WebApplication silo) =>
        [.. Members(silo).Where(m => m.Status == SiloStatus.Active).Select(m => m.SiloAddress.ToString()).Order()];

    private static string Describe(WebApplication silo) =>
        string.Join(", ", Members(silo).Select(m => $"{m.SiloAddress} {m.Status}"));

    private static IEnumerable<ClusterMember> Members(WebApplication silo) =>
        silo.Services.GetRequiredService<IClusterMembershipService>().CurrentSnapshot.Members.Values;

    /// <summary>Records every reply with the silo and the time it was sent (one instance per silo, one shared record).</summary>
    private sealed class TimedReplies(Stopwatch clock, string silo = "", ConcurrentQueue<(string Silo, ConversationKey Key, int Number, TimeSpan At)>? sent = null) : IOutboxSender
    {
        public ConcurrentQueue<(string Silo, ConversationKey Key, int Number, TimeSpan At)> Sent { get; } = sent ?? new();

        public TimedReplies For(string name) => new(clock, name, Sent);

        public ValueTask<SendOutcome> SendAsync(ConversationKey key, OutboxMessage message, CancellationToken cancellationToken)
        {
            Sent.Enqueue((silo, key, BinaryPrimitives.ReadInt32LittleEndian(message.Payload.Span), clock.Elapsed));
            return ValueTask.FromResult(SendOutcome.Sent);
        }
    }

    /// <summary>Records a fatal error of a silo (declared dead, ...) instead of ending the process.</summary>
    private sealed class RecordingFatalErrors(OutageLogSink logs) : IFatalErrorHandler
    {
        public ConcurrentQueue<string> Errors { get; } = new();

        public bool IsUnexpected(Exception exception) => exception is not OperationCanceledException;

        public void OnFatalException(object? sender = null, string? context = null, Exception? exception = null)
        {
            var text = $"fatal error from {sender?.GetType().Name}: {context} {exception}";
            Errors.Enqueue(text);
            logs.Add("fatal", LogLevel.Critical, "IFatalErrorHandler", 0, text);
        }
    }

    /// <summary>Keeps the warnings and errors of every app, for the report (membership errors while the server is down, failed turns).</summary>
    private sealed class OutageLogSink(Stopwatch clock)
    {
        private readonly ConcurrentQueue<(TimeSpan At, string App, LogLevel Level, string Category, int EventId, string Text)> _entries = new();

        public void Attach(ILoggingBuilder logging, string app)
        {
            logging.ClearProviders(); // levels: the Logging:LogLevel settings
            logging.AddProvider(new Provider(this, app));
        }

        public void Add(string app, LogLevel level, string category, int eventId, string text) =>
            _entries.Enqueue((clock.Elapsed, app, level, category, eventId, text));

        public string Summary(bool verbose)
        {
            var entries = _entries.ToList();
            var lines = new List<string> { $"--- {entries.Count} log entries (warnings and above, plus the product's own information) ---" };
            foreach (var group in entries.GroupBy(e => (e.App, e.Level, e.Category, e.EventId)).OrderBy(g => g.Min(e => e.At)))
            {
                var first = group.First();
                lines.Add($"{group.Key.App} {group.Key.Level} {group.Key.Category}[{group.Key.EventId}] x{group.Count()} from {Seconds(first.At)} to {Seconds(group.Max(e => e.At))}: {Trim(first.Text, verbose ? 2000 : 300)}");
            }
            return string.Join('\n', lines);
        }

        private static string Trim(string text, int max) => text.Length <= max ? text : text[..max] + "...";

        private sealed class Provider(OutageLogSink sink, string app) : ILoggerProvider
        {
            public ILogger CreateLogger(string categoryName) => new Logger(sink, app, categoryName);
            public void Dispose() { }
        }

        private sealed class Logger(OutageLogSink sink, string app, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
            public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (logLevel < LogLevel.Warning && !category.StartsWith("Conversations.", StringComparison.Ordinal)) return;
                var text = formatter(state, exception);
                if (exception is not null) text += $" | {exception.GetType().Name}: {exception.Message}";
                sink.Add(app, logLevel, category, eventId.Id, text.ReplaceLineEndings(" "));
            }
        }
    }
}
