using System.Diagnostics;
using Conversations.Grains.Conversation;
using Conversations.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Bench.Postgres;

/// <summary>
/// Scale-up under load (O11): two silos (in this process, one database, ADO.NET membership) take a
/// steady stream of messages, each opening a new conversation, appended and woken alternately through
/// either silo as two embedded gateways would; a third silo joins (with <c>via=all</c> its gateway then
/// takes its turn of the webhooks too, as behind a load balancer). Orleans' placement decides where
/// each new conversation activates; a recording policy counts activations and turns per silo. Reports
/// how long until the newcomer serves a third of the new activations, per second.
/// Needs CONVERSATIONS_BENCH_PG (or CONVERSATIONS_TEST_PG).
/// </summary>
public static class ClusterRebalanceScenario
{
    public static async Task RunAsync(string[] args)
    {
        var rate = Args.Int(args, "rate", 500);
        var before = Args.Int(args, "before", 5);
        var after = Args.Int(args, "after", 20);
        var throughNewcomer = args.Contains("via=all"); // the newcomer's gateway takes webhooks too, as a load balancer would add it
        await using var database = await BenchDatabase.CreateAsync("rebalance");
        string[] settings =
        [
            "--Conversations:Store:Provider=Postgres",
            $"--Conversations:Store:ConnectionString={database.ConnectionString}",
            "--Conversations:Gateway:Enabled=false",
        ];
        var policies = new List<RecordingPolicyFactory>();
        var silos = new List<WebApplication>();
        try
        {
            for (var i = 0; i < 2; i++)
            {
                policies.Add(new RecordingPolicyFactory());
                silos.Add(await BenchSilo.StartAsync(settings, policies[i], new NoopSender()));
            }
            var entries = silos.Select(Entry).ToArray();

            using var stop = new CancellationTokenSource();
            var failures = 0;
            var load = Task.Run(async () =>
            {
                var clock = Stopwatch.StartNew();
                var sent = 0L;
                while (!stop.IsCancellationRequested)
                {
                    var due = (long)(clock.Elapsed.TotalSeconds * rate);
                    for (; sent < due; sent++)
                    {
                        var current = entries;
                        var (store, grains) = current[sent % current.Length];
                        var delivered = store.DeliverAsync(grains, new ConversationKey("bench", $"c{sent}"), new NewInboxMessage("m", "bench", new byte[64])).AsTask();
                        _ = delivered.ContinueWith(_ => Interlocked.Increment(ref failures), TaskContinuationOptions.OnlyOnFaulted);
                    }
                    await Task.Delay(5);
                }
            });

            Console.WriteLine($"cluster-rebalance: {rate} new conversations/s through two silos{(throughNewcomer ? " (and the third once it started)" : "")}; a third joins after {before} s; {Environment.ProcessorCount} cores, all silos in this process");
            Console.WriteLine("  time    new activations per silo (s1/s2/s3)   turns per silo   newcomer's share");
            var sampler = Stopwatch.StartNew();
            var previous = Counts(policies, 3);
            TimeSpan? joinedAt = null, activeAt = null, servingAt = null;
            Task<WebApplication>? joining = null;
            for (var second = 1; second <= before + after; second++)
            {
                await Task.Delay(TimeSpan.FromSeconds(second) - sampler.Elapsed);
                if (second == before)
                {
                    joinedAt = sampler.Elapsed;
                    policies.Add(new RecordingPolicyFactory());
                    joining = BenchSilo.StartAsync(settings, policies[2], new NoopSender());
                }
                if (joining is { IsCompleted: true } && activeAt is null)
                {
                    silos.Add(await joining);
                    activeAt = sampler.Elapsed;
                    if (throughNewcomer) entries = [.. entries, Entry(silos[2])];
                }
                var now = Counts(policies, 3);
                var created = now.Created.Zip(previous.Created, (a, b) => a - b).ToArray();
                var turns = now.Turns.Zip(previous.Turns, (a, b) => a - b).ToArray();
                previous = now;
                var share = created.Sum() == 0 ? 0 : created[2] / (double)created.Sum();
                if (joinedAt is not null && servingAt is null && share >= 0.30) servingAt = sampler.Elapsed;
                Console.WriteLine($"  {second,3} s   {string.Join('/', created),-36} {string.Join('/', turns),-16} {share,6:P0}");
            }
            await stop.CancelAsync();
            await load;
            if (joining is not null && activeAt is null) silos.Add(await joining);

            Console.WriteLine($"  third silo: started at {joinedAt?.TotalSeconds:F1} s, StartAsync returned after {(activeAt - joinedAt)?.TotalSeconds:F1} s (sampled per second), " +
                              (servingAt is { } at ? $"first second with >= 30% of new activations ended {(at - joinedAt!.Value).TotalSeconds:F1} s after it started" : "never took 30% of new activations in a second"));
            Console.WriteLine($"  {failures} appends failed");
        }
        finally
        {
            foreach (var silo in Enumerable.Reverse(silos)) await BenchSilo.StopAsync(silo);
        }
    }

    private static (IConversationStore Store, IGrainFactory Grains) Entry(WebApplication silo) =>
        (silo.Services.GetRequiredService<IConversationStore>(), silo.Services.GetRequiredService<IGrainFactory>());

    private static (long[] Created, long[] Turns) Counts(List<RecordingPolicyFactory> policies, int silos) =>
        (Enumerable.Range(0, silos).Select(i => i < policies.Count ? Interlocked.Read(ref policies[i].Created) : 0).ToArray(),
         Enumerable.Range(0, silos).Select(i => i < policies.Count ? Interlocked.Read(ref policies[i].Turns) : 0).ToArray());

    /// <summary>One per silo: counts the policies it creates (one per activation that runs a turn) and the turns.</summary>
    private sealed class RecordingPolicyFactory : IConversationPolicyFactory
    {
        private static readonly TurnResult Tiny = new(new byte[] { 1 }, []);
        public long Created;
        public long Turns;

        public IConversationPolicy Create(ConversationKey key, ReadOnlyMemory<byte> committedState)
        {
            Interlocked.Increment(ref Created);
            return new Policy(this);
        }

        private sealed class Policy(RecordingPolicyFactory factory) : IConversationPolicy
        {
            public ValueTask<TurnResult> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken)
            {
                Interlocked.Increment(ref factory.Turns);
                return ValueTask.FromResult(Tiny);
            }
        }
    }
}
