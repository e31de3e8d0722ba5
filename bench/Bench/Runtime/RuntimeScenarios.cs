using System.Diagnostics;
using Conversations.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace Conversations.Bench.Runtime;

/// <summary>
/// One embedded silo (SiloApp, Memory store, in-process grain storage) with the no-op policy and a
/// no-op sender: the cost of inbox, wake, Orleans turn and state write themselves. Events go in as
/// the gateway sends them (append, then a one-way wake with the appended sequence).
/// </summary>
public static class RuntimeScenarios
{
    private static Task<WebApplication> StartAsync(NoopPolicyFactory policies, params string[] settings) =>
        BenchSilo.StartAsync(["--Conversations:Store:Provider=Memory", "--Conversations:Gateway:Enabled=false", .. settings], policies, new NoopSender());

    public static async Task ThroughputAsync(string[] args)
    {
        var conversations = Args.Int(args, "conversations", 10_000);
        var events = Args.Int(args, "events", 1_000_000);
        var policies = new NoopPolicyFactory();
        var silo = await StartAsync(policies);
        var store = silo.Services.GetRequiredService<IConversationStore>();
        var grains = silo.Services.GetRequiredService<IGrainFactory>();
        var keys = Enumerable.Range(0, conversations).Select(i => new ConversationKey("bench", $"c{i}")).ToArray();
        var last = new long[conversations];
        var body = new byte[64];
        var producers = Environment.ProcessorCount * 2;
        var perProducer = events / producers;

        // Warm-up (not measured): JIT, and one activation per conversation.
        foreach (var (key, i) in keys.Select((k, i) => (k, i))) last[i] = await store.DeliverAsync(grains, key, new NewInboxMessage("warm", "bench", body));
        await WaitForCursorsAsync(grains, keys, last);
        Interlocked.Exchange(ref policies.Events, 0);

        var gcBefore = GC.CollectionCount(0);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < perProducer; i++)
            {
                var k = (int)(((long)i * producers + p) % keys.Length);
                var sequence = await store.DeliverAsync(grains, keys[k], new NewInboxMessage($"{p}-{i}", "bench", body));
                InterlockedMax(ref last[k], sequence);
            }
        })));
        var appended = clock.Elapsed;
        var total = (long)perProducer * producers;
        while (Interlocked.Read(ref policies.Events) < total) await Task.Delay(1);
        var seen = clock.Elapsed;
        await WaitForCursorsAsync(grains, keys, last);
        var elapsed = clock.Elapsed;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        Console.WriteLine($"runtime-throughput: {total:N0} events over {conversations:N0} conversations, {producers} producers, {Environment.ProcessorCount} cores (one embedded silo, Memory store, no-op policy)");
        Console.WriteLine($"  appended + woken in {appended.TotalSeconds:F2} s; policy saw every event at {seen.TotalSeconds:F2} s; every grain cursor at its last sequence at {elapsed.TotalSeconds:F2} s");
        Console.WriteLine($"  throughput: {total / elapsed.TotalSeconds:N0} events/s");
        Console.WriteLine($"  allocated: {allocated / (double)total:N0} bytes/event (whole process: load generator included), gen0 GCs: {GC.CollectionCount(0) - gcBefore}");
        await BenchSilo.StopAsync(silo);
    }

    /// <summary>Waits until each conversation's committed cursor (grain snapshot) reached its last appended sequence.</summary>
    private static async Task WaitForCursorsAsync(IGrainFactory grains, ConversationKey[] keys, long[] last)
    {
        var pending = Enumerable.Range(0, keys.Length).ToList();
        while (pending.Count > 0)
        {
            var behind = new List<int>();
            foreach (var chunk in pending.Chunk(1000))
            {
                var cursors = await Task.WhenAll(chunk.Select(async i => (i, (await grains.GetConversation(keys[i]).GetSnapshotAsync()).Cursor)));
                behind.AddRange(cursors.Where(c => c.Cursor < Interlocked.Read(ref last[c.i])).Select(c => c.i));
            }
            pending = behind;
            if (pending.Count > 0) await Task.Delay(10);
        }
    }

    private static void InterlockedMax(ref long location, long value)
    {
        for (var current = Interlocked.Read(ref location); value > current; current = Interlocked.Read(ref location))
            if (Interlocked.CompareExchange(ref location, value, current) == current) return;
    }

    /// <summary>
    /// Bytes per idle conversation activation (ConversationGrain with its state and policy, plus
    /// Orleans' own catalog, directory and messaging entries), and per conversation kept after
    /// deactivation (Memory inbox with its dedupe key, serialized grain state). GC heap of the whole process.
    /// </summary>
    public static async Task MemoryAsync(string[] args)
    {
        var count = Args.Int(args, "activations", 100_000);
        var policies = new NoopPolicyFactory();
        var silo = await StartAsync(policies);
        var store = silo.Services.GetRequiredService<IConversationStore>();
        var grains = silo.Services.GetRequiredService<IGrainFactory>();
        var management = grains.GetGrain<IManagementGrain>(0);
        var keys = Enumerable.Range(0, count).Select(i => new ConversationKey("bench", $"conversation-{i:D8}")).ToArray();
        var last = new long[count];
        var body = new byte[64];

        // Warm-up on other conversations, collected again: JIT and Orleans' lazily grown structures.
        var warm = Enumerable.Range(0, 2000).Select(i => new ConversationKey("warm", $"w{i}")).ToArray();
        var warmLast = new long[warm.Length];
        for (var i = 0; i < warm.Length; i++) warmLast[i] = await store.DeliverAsync(grains, warm[i], new NewInboxMessage("e1", "bench", body));
        await WaitForCursorsAsync(grains, warm, warmLast);
        await DeactivateAllAsync(management);

        var baseline = Settle();
        for (var i = 0; i < count; i++) last[i] = await store.DeliverAsync(grains, keys[i], new NewInboxMessage("e1", "bench", body));
        await WaitForCursorsAsync(grains, keys, last);
        await Task.Delay(500);
        var live = await ConversationActivationsAsync(management);
        var withActivations = Settle();
        var left = await DeactivateAllAsync(management);
        var withoutActivations = Settle();

        Console.WriteLine($"runtime-memory: {count:N0} conversations, one event each, no-op policy (1-byte state), one embedded silo, {Environment.ProcessorCount} cores");
        Console.WriteLine($"  live conversation activations: {live:N0} -> {left:N0} after forced collection");
        Console.WriteLine($"  per idle activation (grain, its state and policy, Orleans' own): {(withActivations - withoutActivations) / (double)count:N0} bytes");
        Console.WriteLine($"  per conversation kept without an activation (Memory inbox + dedupe key, serialized grain state): {(withoutActivations - baseline) / (double)count:N0} bytes");
        GC.KeepAlive(keys);
        await BenchSilo.StopAsync(silo);
    }

    private static async Task<int> ConversationActivationsAsync(IManagementGrain management) =>
        (await management.GetSimpleGrainStatistics()).Where(s => s.GrainType.Contains("ConversationGrain", StringComparison.Ordinal)).Sum(s => s.ActivationCount);

    /// <summary>Collects every idle activation (age limit zero) until no conversation activation is left; returns how many are.</summary>
    private static async Task<int> DeactivateAllAsync(IManagementGrain management)
    {
        var deadline = Stopwatch.StartNew();
        int left;
        while ((left = await ConversationActivationsAsync(management)) > 0 && deadline.Elapsed < TimeSpan.FromSeconds(60))
        {
            await management.ForceActivationCollection(TimeSpan.Zero);
            await Task.Delay(200);
        }
        return left;
    }

    private static long Settle()
    {
        for (var i = 0; i < 3; i++) { GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true); GC.WaitForPendingFinalizers(); }
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>Append-to-turn-start latency at a fixed offered rate (paced in 1 ms slices, as webhooks arrive).</summary>
    public static async Task LatencyAsync(string[] args)
    {
        var rate = Args.Int(args, "rate", 10_000);
        var seconds = Args.Int(args, "seconds", 10);
        var conversations = Args.Int(args, "conversations", 1_000);
        var total = rate * seconds;
        var policies = new NoopPolicyFactory { Latencies = new long[total] };
        var silo = await StartAsync(policies);
        var store = silo.Services.GetRequiredService<IConversationStore>();
        var grains = silo.Services.GetRequiredService<IGrainFactory>();
        var keys = Enumerable.Range(0, conversations).Select(i => new ConversationKey("bench", $"c{i}")).ToArray();

        // Warm-up round, not recorded.
        foreach (var key in keys) await store.DeliverAsync(grains, key, new NewInboxMessage("warm", "bench", BitConverter.GetBytes(Stopwatch.GetTimestamp())));
        while (Interlocked.Read(ref policies.Events) < conversations) await Task.Delay(5);
        Interlocked.Exchange(ref policies.LatencyCount, 0);
        Interlocked.Exchange(ref policies.Events, 0);

        var clock = Stopwatch.StartNew();
        for (var sent = 0; sent < total;)
        {
            var due = (int)Math.Min(total, (long)(clock.Elapsed.TotalSeconds * rate));
            for (; sent < due; sent++)
                await store.DeliverAsync(grains, keys[sent % keys.Length], new NewInboxMessage($"e{sent}", "bench", BitConverter.GetBytes(Stopwatch.GetTimestamp())));
            await Task.Delay(1);
        }
        while (Interlocked.Read(ref policies.Events) < total) await Task.Delay(5);

        var latencies = policies.Latencies!.Take((int)Math.Min(total, policies.LatencyCount)).Select(t => t * 1000.0 / Stopwatch.Frequency).Order().ToArray();
        double P(double q) => latencies[Math.Min(latencies.Length - 1, (int)(q * latencies.Length))];
        Console.WriteLine($"runtime-latency: {total:N0} events at {rate:N0}/s over {conversations:N0} conversations ({clock.Elapsed.TotalSeconds:F1} s), one embedded silo, no-op policy, {Environment.ProcessorCount} cores");
        Console.WriteLine($"  append -> turn start: p50 {P(0.50):F3} ms, p99 {P(0.99):F3} ms, p99.9 {P(0.999):F3} ms, max {latencies[^1]:F3} ms");
        await BenchSilo.StopAsync(silo);
    }
}
