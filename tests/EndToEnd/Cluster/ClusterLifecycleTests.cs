using System.Text.Json;
using Conversations.EndToEnd.Chatwoot;
using Conversations.TestSupport.Processes;
using Xunit.Abstractions;

namespace Conversations.EndToEnd.Cluster;

/// <summary>
/// The lifecycle of silo processes under load (O9-O12): a SIGTERM, a rolling restart, a silo added,
/// and the standalone gateway with no silo at all. Real processes (gateway and silos) on one fresh
/// PostgreSQL database, a fake OpenAI-compatible AI that echoes the customer and one fake Chatwoot
/// per silo, so every reply tells which silo sent it. Customers post signed webhooks and wait for
/// each answer; every message must be answered, in order per conversation; duplicates are counted
/// and printed with the timings.
/// </summary>
public sealed class ClusterLifecycleTests(ITestOutputHelper output)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task O9_a_silo_stopped_with_SIGTERM_under_load_exits_0_within_its_shutdown_timeout_and_loses_nothing()
    {
        await using var world = await LifecycleWorld.CreateAsync(output, "o9");
        try
        {
            var gateway = world.StartGateway();
            var a = await world.StartSiloAsync("silo-a", gatewayMounted: false);
            var b = await world.StartSiloAsync("silo-b", gatewayMounted: false);
            await Task.WhenAll(world.WaitReadyAsync(gateway, StartTimeout), world.WaitReadyAsync(a, StartTimeout), world.WaitReadyAsync(b, StartTimeout));
            world.Print("gateway, silo-a and silo-b ready");

            using var http = new HttpClient { BaseAddress = gateway.Address, Timeout = TimeSpan.FromSeconds(30) };
            var customers = new LifecycleCustomers(world, () => http);
            const int conversations = 30, perConversation = 8;
            var terminated = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var load = Enumerable.Range(1, conversations).Select(c => customers.RunAsync(c, async n =>
            {
                // Messages 4.. follow the SIGTERM: they arrive while silo-a drains.
                if (n == 4) await terminated.Task;
                return n <= perConversation;
            })).ToList();

            // silo-a must be serving conversations when it is stopped, however slow the machine.
            await WaitUntilAsync(() => customers.Answered >= conversations * 2 && world.AllReplies.Any(r => r.Silo == "silo-a"),
                TimeSpan.FromSeconds(90), load, () => $"before the SIGTERM: {customers.Answered} answered, replies {world.RepliesPerSilo()}");
            var before = customers.Answered;
            var sigterm = world.Now;
            await a.TerminateAsync();
            terminated.SetResult();
            var exit = await a.WaitForExitAsync(LifecycleWorld.ShutdownTimeout + TimeSpan.FromSeconds(15));
            var exitTook = world.Now - sigterm;
            world.Print($"SIGTERM of silo-a ({before} messages answered before it): exit code {exit?.ToString() ?? "none (still running)"} after {exitTook.TotalSeconds:F1} s (ShutdownTimeout {LifecycleWorld.ShutdownTimeout.TotalSeconds:F0} s)");
            Assert.True(exit is not null, $"silo-a still running {exitTook.TotalSeconds:F1} s after SIGTERM");
            Assert.Equal(0, exit);
            // The host stops within ShutdownTimeout; one more second for the runtime to leave.
            Assert.True(exitTook <= LifecycleWorld.ShutdownTimeout + TimeSpan.FromSeconds(1), $"silo-a took {exitTook.TotalSeconds:F1} s to exit");

            await Task.WhenAll(load).WaitAsync(TimeSpan.FromSeconds(120));
            var done = world.Now;
            var after = customers.Exchanges.Where(e => e.PostedAt >= sigterm).ToList();
            world.Print($"all {conversations * perConversation} messages answered {(done - sigterm).TotalSeconds:F1} s after the SIGTERM");
            world.Print($"messages posted after the SIGTERM: {after.Count}, longest wait {after.Max(e => e.Waited).TotalSeconds:F2} s, median {Median(after.Select(e => e.Waited)).TotalSeconds:F2} s");
            world.Print($"silo-a sent {world.AllReplies.Count(r => r.Silo == "silo-a" && r.At >= sigterm)} replies after the SIGTERM (its drain); replies per silo: {world.RepliesPerSilo()}");
            world.Print($"longest webhook answer from the gateway: {customers.Exchanges.Max(e => e.AckTook).TotalMilliseconds:F0} ms");

            var duplicates = world.AssertAnsweredInOrder(customers.Sent);
            world.Print($"duplicate replies: {duplicates}");
            world.PrintProblems();
            Assert.True(duplicates <= conversations, $"{duplicates} duplicates");
        }
        catch
        {
            world.PrintOutputs();
            throw;
        }
    }

    [Fact]
    public async Task O10_a_rolling_restart_of_every_silo_under_load_loses_nothing_and_keeps_order()
    {
        await using var world = await LifecycleWorld.CreateAsync(output, "o10");
        try
        {
            var gateway = world.StartGateway();
            var a = await world.StartSiloAsync("silo-a", gatewayMounted: false);
            var b = await world.StartSiloAsync("silo-b", gatewayMounted: false);
            await Task.WhenAll(world.WaitReadyAsync(gateway, StartTimeout), world.WaitReadyAsync(a, StartTimeout), world.WaitReadyAsync(b, StartTimeout));
            world.Print("gateway, silo-a and silo-b ready");

            using var http = new HttpClient { BaseAddress = gateway.Address, Timeout = TimeSpan.FromSeconds(30) };
            var customers = new LifecycleCustomers(world, () => http, think: TimeSpan.FromMilliseconds(100));
            const int conversations = 30;
            var rolled = false;
            // Customers keep writing through the whole roll, then two more messages each.
            var load = Enumerable.Range(1, conversations).Select(c =>
            {
                int? last = null;
                return customers.RunAsync(c, n =>
                {
                    if (Volatile.Read(ref rolled)) last ??= n + 1;
                    return Task.FromResult(n <= (last ?? int.MaxValue));
                });
            }).ToList();

            await WaitUntilAsync(() => customers.Answered >= conversations * 2 && world.AllReplies.Any(r => r.Silo == "silo-a") && world.AllReplies.Any(r => r.Silo == "silo-b"),
                TimeSpan.FromSeconds(90), load, () => $"before the roll: {customers.Answered} answered, replies {world.RepliesPerSilo()}");

            var rollStart = world.Now;
            world.Print($"roll starts ({customers.Answered} messages answered)");
            foreach (var (old, fresh) in new[] { (a, "silo-a2"), (b, "silo-b2") })
            {
                var t0 = world.Now;
                await old.TerminateAsync();
                var exit = await old.WaitForExitAsync(LifecycleWorld.ShutdownTimeout + TimeSpan.FromSeconds(15));
                var exited = world.Now;
                world.Print($"{old.Name}: SIGTERM -> exit code {exit?.ToString() ?? "none"} in {(exited - t0).TotalSeconds:F1} s");
                Assert.True(exit is not null, $"{old.Name} still running after SIGTERM");
                Assert.Equal(0, exit);
                var replacement = await world.StartSiloAsync(fresh, gatewayMounted: false);
                var ready = await world.WaitReadyAsync(replacement, StartTimeout);
                world.Print($"{fresh}: started and active in {(ready - exited).TotalSeconds:F1} s");
            }
            var rollEnd = world.Now;
            Volatile.Write(ref rolled, true);
            world.Print($"roll done in {(rollEnd - rollStart).TotalSeconds:F1} s ({customers.Answered} messages answered)");

            await Task.WhenAll(load).WaitAsync(TimeSpan.FromSeconds(120));
            var exchanges = customers.Exchanges;
            var during = exchanges.Where(e => e.RepliedAt >= rollStart && e.PostedAt <= rollEnd).ToList();
            var longest = during.MaxBy(e => e.Waited)!;
            world.Print($"{exchanges.Count} messages answered; {during.Count} during the roll");
            world.Print($"longest wait for a reply during the roll: {longest.Waited.TotalSeconds:F2} s ({longest.Text}, posted at {longest.PostedAt.TotalSeconds:F1} s, answered by {longest.Silo}); median {Median(during.Select(e => e.Waited)).TotalSeconds:F2} s; outside the roll longest {exchanges.Except(during).Max(e => e.Waited).TotalSeconds:F2} s");
            world.Print("slowest during the roll: " + string.Join(", ", during.OrderByDescending(e => e.Waited).Take(5).Select(e => $"{e.Text} {e.Waited.TotalSeconds:F1} s @{e.PostedAt.TotalSeconds:F1}")));
            world.Print($"replies per silo: {world.RepliesPerSilo()}");
            world.Print($"longest webhook answer from the gateway: {exchanges.Max(e => e.AckTook).TotalMilliseconds:F0} ms");

            var duplicates = world.AssertAnsweredInOrder(customers.Sent);
            world.Print($"duplicate replies: {duplicates}");
            world.PrintProblems();
            Assert.Contains(world.AllReplies, r => r.Silo == "silo-a2");
            Assert.True(duplicates <= conversations, $"{duplicates} duplicates");
        }
        catch
        {
            world.PrintOutputs();
            throw;
        }
    }

    [Fact]
    public async Task O11_a_silo_added_under_load_takes_a_share_of_new_conversations()
    {
        await using var world = await LifecycleWorld.CreateAsync(output, "o11");
        var clients = new List<HttpClient>();
        try
        {
            // No standalone gateway: each silo mounts the webhook endpoints; a load balancer sends round-robin to the ready ones.
            var a = await world.StartSiloAsync("silo-a", gatewayMounted: true);
            var b = await world.StartSiloAsync("silo-b", gatewayMounted: true);
            await Task.WhenAll(world.WaitReadyAsync(a, StartTimeout), world.WaitReadyAsync(b, StartTimeout));
            world.Print("silo-a and silo-b ready");
            HttpClient Client(ServiceProcess silo)
            {
                var client = new HttpClient { BaseAddress = silo.Address, Timeout = TimeSpan.FromSeconds(30) };
                lock (clients) clients.Add(client);
                return client;
            }
            var balanced = new List<HttpClient> { Client(a), Client(b) };
            var turn = 0;
            HttpClient Next()
            {
                lock (balanced) return balanced[(int)((uint)Interlocked.Increment(ref turn) % (uint)balanced.Count)];
            }

            var customers = new LifecycleCustomers(world, Next, think: TimeSpan.FromMilliseconds(100));
            var stop = false;
            // Existing conversations keep talking through the join.
            var load = Enumerable.Range(1, 12).Select(c => customers.RunAsync(c, n => Task.FromResult(n <= 3 || !Volatile.Read(ref stop)))).ToList();
            // New conversations arrive steadily (two messages each): the join is measured on them.
            const int firstNew = 1000;
            var newOnes = new List<Task>();
            var generator = Task.Run(async () =>
            {
                for (var c = firstNew; !Volatile.Read(ref stop); c++)
                {
                    lock (newOnes) newOnes.Add(customers.RunAsync(c, n => Task.FromResult(n <= 2)));
                    await Task.Delay(150); // arrival rate of new conversations (load shaping)
                }
            });
            List<LifecycleExchange> NewConversations(TimeSpan from) =>
                [.. customers.Exchanges.Where(e => e.Conversation >= firstNew && e.Text.EndsWith("-1", StringComparison.Ordinal) && e.PostedAt >= from).OrderBy(e => e.PostedAt)];

            await WaitUntilAsync(() => NewConversations(TimeSpan.Zero).Count >= 10, TimeSpan.FromSeconds(60), load,
                () => $"before the join: {customers.Answered} answered");
            var c3 = await world.StartSiloAsync("silo-c", gatewayMounted: true);
            var startedAt = world.Now;
            var activeAt = await world.WaitReadyAsync(c3, StartTimeout);
            lock (balanced) balanced.Add(Client(c3));
            world.Print($"silo-c started and active in {(activeAt - startedAt).TotalSeconds:F1} s; now in the round-robin");

            // The first window of W consecutive new conversations (by arrival) of which silo-c serves a third.
            const int window = 9;
            TimeSpan? Reached()
            {
                var arrived = NewConversations(activeAt);
                for (var i = 0; i + window <= arrived.Count; i++)
                    if (arrived.Skip(i).Take(window).Count(e => e.Silo == "silo-c") * 3 >= window)
                        return arrived[i + window - 1].PostedAt - activeAt;
                return null;
            }
            // Keep the load on until silo-c has held its share for a while, or a generous bound.
            var bound = TimeSpan.FromSeconds(45);
            while (world.Now - activeAt < bound && !(Reached() is { } r && world.Now - activeAt >= r + TimeSpan.FromSeconds(6)))
            {
                Rethrow(load);
                await Task.Delay(100);
            }
            Volatile.Write(ref stop, true);
            await generator;
            List<Task> all;
            lock (newOnes) all = [.. load, .. newOnes];
            await Task.WhenAll(all).WaitAsync(TimeSpan.FromSeconds(120));

            var reached = Reached();
            var arrivedAfter = NewConversations(activeAt);
            var byC = arrivedAfter.Count(e => e.Silo == "silo-c");
            world.Print(reached is { } t
                ? $"silo-c served a third of new conversations (window of {window}) {t.TotalSeconds:F1} s after it was active"
                : $"silo-c never served a third of {window} consecutive new conversations within {bound.TotalSeconds:F0} s");
            var firstOnC = arrivedAfter.FirstOrDefault(e => e.Silo == "silo-c");
            world.Print(firstOnC is null ? "no new conversation on silo-c" : $"first new conversation on silo-c: posted {(firstOnC.PostedAt - activeAt).TotalSeconds:F1} s after it was active");
            world.Print($"new conversations after silo-c was active: {arrivedAfter.Count}, served by silo-c: {byC} ({100.0 * byC / Math.Max(1, arrivedAfter.Count):F0} %); before: " +
                string.Join(", ", NewConversations(TimeSpan.Zero).Where(e => e.PostedAt < activeAt).GroupBy(e => e.Silo).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")));
            foreach (var bucket in arrivedAfter.GroupBy(e => (int)((e.PostedAt - activeAt).TotalSeconds / 3)).OrderBy(g => g.Key))
                world.Print($"  {bucket.Key * 3,2}-{bucket.Key * 3 + 3,2} s after active: " + string.Join(", ", bucket.GroupBy(e => e.Silo).OrderBy(g => g.Key).Select(g => $"{g.Key} {g.Count()}")));
            world.Print($"existing conversations 1-12 on silo-c afterwards: {world.AllReplies.Count(r => r.Conversation < firstNew && r.Silo == "silo-c")} replies");
            world.Print($"replies per silo: {world.RepliesPerSilo()}; longest wait {customers.Exchanges.Max(e => e.Waited).TotalSeconds:F2} s");

            var duplicates = world.AssertAnsweredInOrder(customers.Sent);
            world.Print($"duplicate replies: {duplicates}");
            world.PrintProblems();
            Assert.Equal(0, duplicates); // no silo stopped: nothing is sent twice
            Assert.True(byC > 0, $"silo-c served none of {arrivedAfter.Count} new conversations in the {bound.TotalSeconds:F0} s after it was active");
        }
        catch
        {
            world.PrintOutputs();
            throw;
        }
        finally
        {
            foreach (var c in clients) c.Dispose();
        }
    }

    [Fact]
    public async Task O12_the_standalone_gateway_with_every_silo_down_accepts_webhooks_that_a_returning_silo_answers()
    {
        await using var world = await LifecycleWorld.CreateAsync(output, "o12");
        try
        {
            // Information for the Orleans client connection, to see when it reaches the silo.
            var gateway = world.StartGateway("--Logging:LogLevel:Conversations.Gateway.Cluster=Information");
            await world.WaitReadyAsync(gateway, StartTimeout);
            world.Print("gateway ready with no silo running");
            using var http = new HttpClient { BaseAddress = gateway.Address, Timeout = TimeSpan.FromSeconds(30) };

            const int conversations = 20, stored = 3;
            var acks = new System.Collections.Concurrent.ConcurrentBag<TimeSpan>();
            await Parallel.ForEachAsync(Enumerable.Range(1, conversations), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (c, _) =>
            {
                for (var n = 1; n <= stored; n++)
                {
                    var (status, took) = await LifecycleWorld.PostAsync(http, $"msg-{c}-{n}", c);
                    Assert.Equal(200, status);
                    acks.Add(took);
                }
            });
            var storedAt = world.Now;
            world.Print($"{acks.Count} webhooks answered 200 with no silo: longest {acks.Max().TotalMilliseconds:F0} ms, median {Median(acks).TotalMilliseconds:F0} ms");
            Assert.Equal(conversations * stored, acks.Count);
            Assert.All(acks, t => Assert.True(t < TimeSpan.FromSeconds(5), $"a webhook took {t.TotalSeconds:F1} s (Chatwoot hands off after 5 s)"));
            Assert.Empty(world.AllReplies);
            Assert.DoesNotContain(world.Ai.Requests, r => r.Path == FakeAi.ChatCompletions);

            var a = await world.StartSiloAsync("silo-a", gatewayMounted: false);
            var startedAt = world.Now;
            var connected = WatchOutputAsync(world, gateway, "Orleans client connected");
            var readyAt = await world.WaitReadyAsync(a, StartTimeout);
            world.Print($"silo-a started {(startedAt - storedAt).TotalSeconds:F1} s after the last webhook; active {(readyAt - startedAt).TotalSeconds:F1} s after its start");

            // The burst a conversation stored while no silo ran is one turn: one AI call with the three messages, one reply to the last.
            var answered = await Task.WhenAll(Enumerable.Range(1, conversations).Select(c => world.WaitReplyAsync($"echo: msg-{c}-{stored}", TimeSpan.FromSeconds(60))));
            var last = answered.Max(r => r.At);
            world.Print($"every stored message answered: first {(answered.Min(r => r.At) - readyAt).TotalSeconds:F1} s, last {(last - readyAt).TotalSeconds:F1} s after silo-a was active ({(last - startedAt).TotalSeconds:F1} s after its start; re-drive interval 1 s, after 2 s)");
            Assert.True(last - readyAt < TimeSpan.FromSeconds(30), $"the stored messages took {(last - readyAt).TotalSeconds:F1} s after the silo was active");
            var aiCalls = world.Ai.Requests.Where(r => r.Path == FakeAi.ChatCompletions).Select(UserMessages).ToList();
            for (var c = 1; c <= conversations; c++)
            {
                var mine = Enumerable.Range(1, stored).Select(n => $"msg-{c}-{n}").ToList();
                Assert.Contains(aiCalls, call => call.Where(m => m.StartsWith($"msg-{c}-", StringComparison.Ordinal)).SequenceEqual(mine));
            }
            world.Print($"AI calls for the stored bursts: {aiCalls.Count} for {conversations} conversations");

            // Once a silo is up the gateway's client wakes grains directly: a new message is answered without the re-drive.
            var connectedAt = await connected.WaitAsync(TimeSpan.FromSeconds(60));
            world.Print($"gateway's Orleans client connected {(connectedAt - readyAt).TotalSeconds:F1} s after silo-a was active (seen in its log)");
            var customers = new LifecycleCustomers(world, () => http);
            await Task.WhenAll(Enumerable.Range(1, conversations).Select(c => customers.RunAsync(c, n => Task.FromResult(n == stored + 1), first: stored + 1))).WaitAsync(TimeSpan.FromSeconds(90));
            var waits = customers.Exchanges.Select(e => e.Waited).ToList();
            world.Print($"a new message per conversation with the silo up: longest wait {waits.Max().TotalSeconds:F2} s, median {Median(waits).TotalSeconds:F2} s");

            var duplicates = 0;
            for (var c = 1; c <= conversations; c++)
            {
                var replies = world.RepliesOf(c).Select(r => r.Content).ToList();
                Assert.Equal([$"echo: msg-{c}-{stored}", $"echo: msg-{c}-{stored + 1}"], replies.Distinct().ToList());
                duplicates += replies.Count - 2;
            }
            world.Print($"duplicate replies: {duplicates}; replies per silo: {world.RepliesPerSilo()}");
            world.PrintProblems();
            Assert.Equal(0, duplicates);
        }
        catch
        {
            world.PrintOutputs();
            throw;
        }
    }

    /// <summary>When <paramref name="text"/> first appears in the process's output (world clock).</summary>
    private static Task<TimeSpan> WatchOutputAsync(LifecycleWorld world, ServiceProcess process, string text) => Task.Run(async () =>
    {
        while (!process.Output.Contains(text, StringComparison.Ordinal))
        {
            if (process.HasExited) throw new InvalidOperationException($"{process.Name} exited before logging '{text}'");
            await Task.Delay(50);
        }
        return world.Now;
    });

    private static List<string> UserMessages(TestSupport.Http.RecordedRequest request) =>
        [.. request.Json().GetProperty("messages").EnumerateArray()
            .Where(m => m.GetProperty("role").GetString() == "user" && m.GetProperty("content").ValueKind == JsonValueKind.String)
            .Select(m => m.GetProperty("content").GetString()!)];

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, IReadOnlyList<Task> load, Func<string> state)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            Rethrow(load);
            Assert.True(DateTime.UtcNow < deadline, $"not reached within {timeout}: {state()}");
            await Task.Delay(50);
        }
    }

    /// <summary>A customer that failed (a webhook refused, a reply missing) fails the test now, not at the end.</summary>
    private static void Rethrow(IReadOnlyList<Task> load)
    {
        foreach (var task in load)
            if (task.IsFaulted) task.GetAwaiter().GetResult();
    }

    private static TimeSpan Median(IEnumerable<TimeSpan> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? TimeSpan.Zero : sorted[sorted.Count / 2];
    }
}
