using System.Diagnostics;
using Conversations.Grains.Conversation;
using Conversations.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Bench.Postgres;

/// <summary>
/// Churn over time: one silo on PostgreSQL takes a steady stream of messages (append + wake, as the
/// gateway does); every turn rewrites its conversation's grain state (orleans_storage) and sends one
/// action, so inbox rows are inserted, marked consumed and (after the dedupe window) deleted, and
/// inbox_head and orleans_storage rows are updated all the time. Samples live and dead tuples and
/// table sizes, to show that autovacuum and retention keep bloat bounded.
/// Needs CONVERSATIONS_BENCH_PG (or CONVERSATIONS_TEST_PG).
/// </summary>
public static class PostgresSoakScenario
{
    public static async Task RunAsync(string[] args)
    {
        var rate = Args.Int(args, "rate", 1000);
        var seconds = Args.Int(args, "seconds", 300);
        var conversations = Args.Int(args, "conversations", 5000);
        var sampleEvery = Args.Int(args, "sample", 30);
        var window = Args.Int(args, "dedupe-minutes", 1);
        await using var database = await BenchDatabase.CreateAsync("soak");
        var connectionString = database.ConnectionString;
        var silo = await BenchSilo.StartAsync(
        [
            "--Conversations:Store:Provider=Postgres",
            $"--Conversations:Store:ConnectionString={connectionString}",
            $"--Conversations:Store:DedupeWindow={TimeSpan.FromMinutes(window)}",
            "--Conversations:Store:RetentionInterval=00:00:10",
            "--Conversations:Gateway:Enabled=false",
        ], new ChurningPolicyFactory(), new NoopSender());
        try
        {
            var store = silo.Services.GetRequiredService<IConversationStore>();
            var grains = silo.Services.GetRequiredService<IGrainFactory>();
            Console.WriteLine($"postgres-soak: {rate} msg/s over {conversations:N0} conversations for {seconds} s; each turn rewrites state and sends one action; dedupe window {window} min, retention every 10 s");
            Console.WriteLine("  time   table              live      dead   size MiB  last autovacuum");
            var keys = Enumerable.Range(0, conversations).Select(i => new ConversationKey("bench", $"c{i}")).ToArray();
            var failures = 0;
            var clock = Stopwatch.StartNew();
            var sent = 0L;
            var nextSample = TimeSpan.Zero;
            while (clock.Elapsed < TimeSpan.FromSeconds(seconds))
            {
                var due = (long)(clock.Elapsed.TotalSeconds * rate);
                for (; sent < due; sent++)
                {
                    var delivered = store.DeliverAsync(grains, keys[sent % keys.Length], new NewInboxMessage($"m{sent}", "bench", new byte[64])).AsTask();
                    _ = delivered.ContinueWith(_ => Interlocked.Increment(ref failures), TaskContinuationOptions.OnlyOnFaulted);
                }
                if (clock.Elapsed >= nextSample)
                {
                    await SampleAsync(connectionString, clock.Elapsed, window);
                    nextSample += TimeSpan.FromSeconds(sampleEvery);
                }
                await Task.Delay(5);
            }
            await SampleAsync(connectionString, clock.Elapsed, window);
            Console.WriteLine($"  offered {sent:N0} messages, {failures} appends failed");
        }
        finally
        {
            await BenchSilo.StopAsync(silo);
        }
    }

    /// <summary>Table statistics, and the retention backlog: consumed rows past the dedupe window not yet deleted.</summary>
    private static async Task SampleAsync(string connectionString, TimeSpan at, int windowMinutes)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand("""
            select relname, n_live_tup, n_dead_tup, pg_total_relation_size(relid) / 1048576.0,
                   coalesce(to_char(greatest(last_autovacuum, last_vacuum), 'HH24:MI:SS'), '-')
            from pg_stat_user_tables where relname in ('inbox', 'inbox_head', 'parked_action', 'orleans_storage') order by relname
            """, connection);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
            Console.WriteLine($"  {at.TotalSeconds,4:F0} s  {reader.GetString(0),-16} {reader.GetInt64(1),8:N0} {reader.GetInt64(2),9:N0} {reader.GetDecimal(3),9:F1}  {reader.GetString(4)}");
        await reader.CloseAsync();
        await using var backlog = new Npgsql.NpgsqlCommand($"""
            select (select count(*) from inbox where consumed_at < now() - interval '{windowMinutes} minutes'),
                   (select count(*) from inbox where consumed_at is null),
                   (select count(*) from parked_action)
            """, connection);
        await using var counts = await backlog.ExecuteReaderAsync();
        await counts.ReadAsync();
        Console.WriteLine($"  {at.TotalSeconds,4:F0} s  retention backlog (consumed, past the window, not yet deleted): inbox {counts.GetInt64(0):N0}; events not yet consumed: {counts.GetInt64(1):N0}; parked actions: {counts.GetInt64(2):N0}");
    }

    /// <summary>Every turn: new state (a counter and 200 bytes, like a short transcript) and one action.</summary>
    private sealed class ChurningPolicyFactory : IConversationPolicyFactory
    {
        public IConversationPolicy Create(ConversationKey key, ReadOnlyMemory<byte> committedState) => new Policy(committedState.Length >= 8 ? BitConverter.ToInt64(committedState.Span) : 0);

        private sealed class Policy(long turns) : IConversationPolicy
        {
            public ValueTask<TurnResult> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken)
            {
                turns++;
                var state = new byte[208];
                BitConverter.TryWriteBytes(state, turns);
                return ValueTask.FromResult(new TurnResult(state, [new NewOutboxMessage("bench.reply", new byte[128])]));
            }
        }
    }
}
