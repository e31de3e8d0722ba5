using System.Diagnostics;
using Conversations.Storage;
using Conversations.Storage.Postgres;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conversations.Bench.Postgres;

/// <summary>
/// Durable ingest on PostgreSQL, no runtime: what one gateway process does per accepted webhook
/// (<see cref="PostgresConversationStore.AppendAsync"/>, group-committed by <see cref="InboxAppendBatcher"/>), offered open-loop at a fixed rate so queueing shows in the
/// latency (no coordinated omission). Latency is measured from the scheduled send time to the commit.
/// Needs CONVERSATIONS_BENCH_PG (or CONVERSATIONS_TEST_PG): an Npgsql connection string; the scenario
/// creates and drops its own database.
/// </summary>
public static class PostgresIngestScenario
{
    public static async Task RunAsync(string[] args)
    {
        var rate = Args.Int(args, "rate", 3000);
        var seconds = Args.Int(args, "seconds", 10);
        var conversations = Args.Int(args, "conversations", 5000);
        await using var database = await BenchDatabase.CreateAsync("ingest");
        {
            var builder = new Npgsql.NpgsqlConnectionStringBuilder(database.ConnectionString) { MaxPoolSize = 64 };
            await using var source = PostgresDataSourceFactory.Create(new PostgresStoreOptions { ConnectionString = builder.ConnectionString });
            await new PostgresSchemaMigrator(source, NullLogger<PostgresSchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
            // batch=1: one statement and one commit per webhook, for comparison with group commit.
            await using var batcher = new InboxAppendBatcher(source, Args.Int(args, "batch", 256), Args.Int(args, "writers", 4));
            var store = new PostgresConversationStore(source, batcher);
            var keys = Enumerable.Range(0, conversations).Select(i => new ConversationKey("bench", $"{i}:{i}")).ToArray();
            var body = new byte[600]; // a typical normalized message event
            Random.Shared.NextBytes(body);

            // Warm-up: open the pool, JIT.
            await Parallel.ForEachAsync(Enumerable.Range(0, 2000), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, ct) =>
                await store.AppendAsync(keys[i % keys.Length], [new NewInboxMessage($"warm-{i}", "bench", body)], ct));

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
                    try
                    {
                        await store.AppendAsync(keys[index % keys.Length], [new NewInboxMessage($"m-{index}", "chatwoot.message_created", body)], CancellationToken.None);
                        latencies[index] = (clock.Elapsed - due).TotalMilliseconds;
                    }
                    catch (Exception) { Interlocked.Increment(ref failures); latencies[index] = double.NaN; }
                }));
            }
            await Task.WhenAll(tasks);
            var elapsed = clock.Elapsed;
            var ok = latencies.Where(l => !double.IsNaN(l)).Order().ToArray();
            Console.WriteLine($"postgres-ingest: batch {Args.Int(args, "batch", 256)}, {Args.Int(args, "writers", 4)} writers; offered {rate}/s for {seconds} s: {ok.Length} appended in {elapsed.TotalSeconds:F2} s = {ok.Length / elapsed.TotalSeconds:F0}/s, {failures} failed");
            Console.WriteLine($"ack latency ms: p50 {Percentile(ok, 0.50):F1}  p90 {Percentile(ok, 0.90):F1}  p99 {Percentile(ok, 0.99):F1}  p99.9 {Percentile(ok, 0.999):F1}  max {ok[^1]:F1}");
        }
    }

    private static double Percentile(double[] sorted, double p) => sorted.Length == 0 ? double.NaN : sorted[Math.Min(sorted.Length - 1, (int)(p * sorted.Length))];
}
