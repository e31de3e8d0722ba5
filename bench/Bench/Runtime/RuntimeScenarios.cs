using System.Diagnostics;
using Conversations.Runtime;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Conversations.Bench.Runtime;

/// <summary>The runtime on the Memory store with a grain that does nothing: the cost of the actor layer itself.</summary>
public static class RuntimeScenarios
{
    private static async Task<IHost> StartAsync(IConversationGrainFactory grains, Dictionary<string, string?>? settings = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings ?? []);
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddSingleton(grains);
        builder.Services.AddSingleton<IOutboxSender, NoopSender>();
        builder.Services.AddConversationsRuntime(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    public static async Task ThroughputAsync(string[] args)
    {
        var conversations = Args.Int(args, "conversations", 10_000);
        var events = Args.Int(args, "events", 2_000_000);
        var counter = new NoopGrainFactory();
        using var host = await StartAsync(new NoopGrainFactory.CountingWrapper(counter), new() { ["Conversations:Runtime:MaxActivations"] = "1000000" });
        var client = host.Services.GetRequiredService<IClusterClient>();
        var keys = Enumerable.Range(0, conversations).Select(i => new ConversationKey("bench", $"c{i}")).ToArray();
        var body = new byte[64];
        var producers = Environment.ProcessorCount * 2;
        var perProducer = events / producers;

        // Warm-up: JIT and activation creation are not what this measures.
        foreach (var key in keys) await client.DeliverAsync(key, [new NewInboxMessage("warm", "bench", body)], CancellationToken.None);
        while (Interlocked.Read(ref counter.Events) < conversations) await Task.Delay(5);
        Interlocked.Exchange(ref counter.Events, 0);

        var gcBefore = GC.CollectionCount(0);
        var allocatedBefore = GC.GetTotalAllocatedBytes(precise: true);
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(Enumerable.Range(0, producers).Select(p => Task.Run(async () =>
        {
            for (var i = 0; i < perProducer; i++)
            {
                var key = keys[(i * producers + p) % keys.Length];
                await client.DeliverAsync(key, [new NewInboxMessage($"{p}-{i}", "bench", body)], CancellationToken.None);
            }
        })));
        var appended = clock.Elapsed;
        var total = (long)perProducer * producers;
        while (Interlocked.Read(ref counter.Events) < total) await Task.Delay(1);
        var elapsed = clock.Elapsed;
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - allocatedBefore;

        Console.WriteLine($"runtime-throughput: {total:N0} events over {conversations:N0} conversations, {producers} producers, {Environment.ProcessorCount} cores");
        Console.WriteLine($"  appended in {appended.TotalSeconds:F2} s, all processed in {elapsed.TotalSeconds:F2} s");
        Console.WriteLine($"  throughput: {total / elapsed.TotalSeconds:N0} events/s");
        Console.WriteLine($"  allocated: {allocated / (double)total:N0} bytes/event, gen0 GCs: {GC.CollectionCount(0) - gcBefore}");
        await host.StopAsync();
    }

    /// <summary>
    /// grain=noop (default) measures the runtime's own cost; grain=real runs the real
    /// ConversationGrain (Chatwoot tenant, Rules AI) fed one status event each: empty transcript.
    /// </summary>
    public static async Task MemoryAsync(string[] args)
    {
        var count = Args.Int(args, "activations", 100_000);
        var real = args.Contains("grain=real");
        var counter = new NoopGrainFactory();
        using var host = real ? await StartRealAsync() : await StartAsync(new NoopGrainFactory.CountingWrapper(counter), new() { ["Conversations:Runtime:MaxActivations"] = "10000000" });
        var client = host.Services.GetRequiredService<IClusterClient>();
        var runtime = host.Services.GetRequiredService<IConversationRuntime>();
        var store = host.Services.GetRequiredService<Conversations.Runtime.Store.IConversationStore>();
        var keys = Enumerable.Range(0, count).Select(i => new ConversationKey("bench", $"conversation-{i:D8}")).ToArray();
        var body = real
            ? ConversationEventJson.Serialize(new ConversationEvent { Id = "s1", Kind = EventKind.StatusChanged, Platform = PlatformKind.Chatwoot, Type = "conversation_status_changed", PlatformStatus = "pending", OccurredAt = DateTimeOffset.UtcNow })
            : new byte[64];

        var baseline = Settle();
        foreach (var key in keys) await client.DeliverAsync(key, [new NewInboxMessage("e1", "bench", body)], CancellationToken.None);
        if (real)
        {
            while ((await store.FindPendingInboxAsync(null, 1, CancellationToken.None)).Count > 0) await Task.Delay(20);
        }
        else
        {
            while (Interlocked.Read(ref counter.Events) < count) await Task.Delay(5);
        }
        await Task.Delay(200);
        var withActivations = Settle();
        var live = runtime.ActivationCount;
        await runtime.DeactivateAsync(_ => true, CancellationToken.None);
        var withoutActivations = Settle();

        Console.WriteLine($"runtime-memory: {count:N0} conversations, one event each, {(real ? "real ConversationGrain (empty transcript)" : "no-op grain (empty state)")}");
        Console.WriteLine($"  live activations: {live:N0} -> {runtime.ActivationCount:N0} after deactivating all");
        Console.WriteLine($"  per idle activation: {(withActivations - withoutActivations) / (double)count:N0} bytes");
        Console.WriteLine($"  per conversation kept by the Memory store (state, dedupe key, keys): {(withoutActivations - baseline) / (double)count:N0} bytes");
        GC.KeepAlive(keys);
        await host.StopAsync();
    }

    private static async Task<IHost> StartRealAsync()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Conversations:Runtime:MaxActivations"] = "10000000",
            ["Conversations:Tenants:0:Id"] = "bench",
            ["Conversations:Tenants:0:Platform"] = "Chatwoot",
            ["Conversations:Tenants:0:UrlToken"] = "t",
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        builder.Services.AddConversationsTenants(builder.Configuration).AddConversationsRuntime(builder.Configuration).AddConversationsGrains(builder.Configuration);
        var host = builder.Build();
        await host.StartAsync();
        return host;
    }

    private static long Settle()
    {
        for (var i = 0; i < 3; i++) { GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true); GC.WaitForPendingFinalizers(); }
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    public static async Task LatencyAsync(string[] args)
    {
        var rate = Args.Int(args, "rate", 10_000);
        var seconds = Args.Int(args, "seconds", 10);
        var conversations = Args.Int(args, "conversations", 1_000);
        var total = rate * seconds;
        var grains = new NoopGrainFactory { Latencies = new long[total] };
        using var host = await StartAsync(grains);
        var client = host.Services.GetRequiredService<IClusterClient>();
        var keys = Enumerable.Range(0, conversations).Select(i => new ConversationKey("bench", $"c{i}")).ToArray();

        // Warm-up round, not recorded.
        foreach (var key in keys) await client.DeliverAsync(key, [new NewInboxMessage("warm", "bench", BitConverter.GetBytes(Stopwatch.GetTimestamp()))], CancellationToken.None);
        while (Interlocked.Read(ref grains.Events) < conversations) await Task.Delay(5);
        Interlocked.Exchange(ref grains.LatencyCount, 0);
        Interlocked.Exchange(ref grains.Events, 0);

        // Paced in 1 ms slices so the offered load is steady, as webhooks arrive.
        var clock = Stopwatch.StartNew();
        for (var sent = 0; sent < total;)
        {
            var due = (int)Math.Min(total, (long)(clock.Elapsed.TotalSeconds * rate));
            for (; sent < due; sent++)
                await client.DeliverAsync(keys[sent % keys.Length], [new NewInboxMessage($"e{sent}", "bench", BitConverter.GetBytes(Stopwatch.GetTimestamp()))], CancellationToken.None);
            await Task.Delay(1);
        }
        while (Interlocked.Read(ref grains.Events) < total) await Task.Delay(5);

        var latencies = grains.Latencies!.Take((int)Math.Min(total, grains.LatencyCount)).Select(t => t * 1000.0 / Stopwatch.Frequency).Order().ToArray();
        double P(double q) => latencies[Math.Min(latencies.Length - 1, (int)(q * latencies.Length))];
        Console.WriteLine($"runtime-latency: {total:N0} events at {rate:N0}/s over {conversations:N0} conversations ({clock.Elapsed.TotalSeconds:F1} s)");
        Console.WriteLine($"  append -> turn start: p50 {P(0.50):F3} ms, p99 {P(0.99):F3} ms, p99.9 {P(0.999):F3} ms, max {latencies[^1]:F3} ms");
        await host.StopAsync();
    }
}
