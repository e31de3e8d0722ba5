using System.Collections.Concurrent;
using System.Diagnostics;
using Conversations.Bench.Runtime;
using Conversations.Runtime;
using Conversations.Runtime.Cluster;
using Conversations.Runtime.Store.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conversations.Bench.Postgres;

/// <summary>
/// Scale-up under load: two silos (in this process, one database) take a steady stream of messages;
/// a third silo joins; reports how long until it holds its share of shards and how long messages
/// waited (append to turn) before, during and after the move. Default cluster timings unless
/// stable=/interval= say otherwise. Needs CONVERSATIONS_BENCH_PG (or CONVERSATIONS_TEST_PG).
/// </summary>
public static class ClusterRebalanceScenario
{
    public static async Task RunAsync(string[] args)
    {
        var rate = Args.Int(args, "rate", 500);
        var conversations = Args.Int(args, "conversations", 2000);
        var stable = Args.Int(args, "stable", 30);
        var interval = Args.Int(args, "interval", 10);
        await using var database = await BenchDatabase.CreateAsync("rebalance");
        var connectionString = database.ConnectionString;
        var hosts = new List<IHost>();
        var samples = new ConcurrentQueue<(long At, long Waited)>();
        try
        {
            await using var source = PostgresDataSourceFactory.Create(new PostgresStoreOptions { ConnectionString = connectionString });
            await new PostgresSchemaMigrator(source, NullLogger<PostgresSchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
            await using var batcher = new InboxAppendBatcher(source, 1024, 256, 4);
            var client = new PostgresClusterClient(batcher);
            var settings = new Dictionary<string, string?>
            {
                ["Conversations:Store:Provider"] = "Postgres",
                ["Conversations:Store:ConnectionString"] = connectionString,
                ["Conversations:Cluster:StableMembershipFor"] = $"00:00:{stable:D2}",
                ["Conversations:Cluster:RebalanceInterval"] = $"00:00:{interval:D2}",
            };
            for (var i = 0; i < 2; i++) hosts.Add(await BenchSilo.StartAsync(settings, new SamplingGrainFactory(samples)));
            var tables = () => hosts.Select(h => h.Services.GetRequiredService<ShardOwnershipTable>().Owned.Count).ToList();
            while (tables().Sum() < 1024) await Task.Delay(100);

            using var stop = new CancellationTokenSource();
            var keys = Enumerable.Range(0, conversations).Select(i => new ConversationKey("bench", $"c{i}")).ToArray();
            var load = Task.Run(async () =>
            {
                var clock = Stopwatch.StartNew();
                var sent = 0L;
                while (!stop.IsCancellationRequested)
                {
                    var due = (long)(clock.Elapsed.TotalSeconds * rate);
                    for (; sent < due; sent++)
                    {
                        var body = BitConverter.GetBytes(Stopwatch.GetTimestamp());
                        _ = client.DeliverAsync(keys[sent % keys.Length], [new NewInboxMessage($"m{sent}", "bench", body)], CancellationToken.None).AsTask();
                    }
                    await Task.Delay(5);
                }
            });

            await Task.Delay(TimeSpan.FromSeconds(5));
            var joined = Stopwatch.GetTimestamp();
            hosts.Add(await BenchSilo.StartAsync(settings, new SamplingGrainFactory(samples)));
            while (true)
            {
                var counts = tables();
                if (counts.Sum() == 1024 && counts.Max() - counts.Min() <= 1) break;
                await Task.Delay(100);
            }
            var balanced = Stopwatch.GetTimestamp();
            await Task.Delay(TimeSpan.FromSeconds(5));
            await stop.CancelAsync();
            await load;

            Console.WriteLine($"third silo joined; balanced ({string.Join('/', tables())} shards) after {Stopwatch.GetElapsedTime(joined, balanced).TotalSeconds:F1} s " +
                              $"(stable wait {stable} s, a round every {interval} s, at most 102 moves per round), {rate} msg/s offered");
            Report("before the join", samples.Where(s => s.At < joined));
            Report("while rebalancing", samples.Where(s => s.At >= joined && s.At < balanced));
            Report("after", samples.Where(s => s.At >= balanced));
        }
        finally
        {
            foreach (var host in hosts)
            {
                await host.StopAsync();
                host.Dispose();
            }
        }
    }

    private static void Report(string phase, IEnumerable<(long At, long Waited)> samples)
    {
        var waited = samples.Select(s => s.Waited * 1000.0 / Stopwatch.Frequency).Order().ToArray();
        if (waited.Length == 0) { Console.WriteLine($"  {phase}: no messages"); return; }
        double P(double p) => waited[Math.Min(waited.Length - 1, (int)(p * waited.Length))];
        Console.WriteLine($"  {phase}: {waited.Length} messages, wait ms p50 {P(0.5):F0} p99 {P(0.99):F0} max {waited[^1]:F0}, over 1 s: {waited.Count(w => w > 1000)}");
    }

    /// <summary>Records, per event, when it reached a turn and how long after its append.</summary>
    private sealed class SamplingGrainFactory(ConcurrentQueue<(long, long)> samples) : IConversationGrainFactory
    {
        public IConversationGrain Create(ConversationKey key, ReadOnlyMemory<byte> committedState) => new Grain(samples);

        private sealed class Grain(ConcurrentQueue<(long, long)> samples) : IConversationGrain
        {
            public ValueTask<TurnResult> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken)
            {
                var now = Stopwatch.GetTimestamp();
                foreach (var e in turn.Events) samples.Enqueue((now, now - BitConverter.ToInt64(e.Body.Span)));
                return ValueTask.FromResult(TurnResult.Unchanged);
            }
        }
    }
}
