using Conversations.Bench.Engage;
using Conversations.Bench.Chatwoot;
using Conversations.Bench.Runtime;

namespace Conversations.Bench;

/// <summary>
/// Load generator. Usage: dotnet run -c Release --project bench/Bench -- &lt;scenario&gt; [options]
/// Scenarios print their numbers; nothing here is asserted by tests.
/// </summary>
public static class Program
{
    private static readonly Dictionary<string, (string Help, Func<string[], Task> Run)> Scenarios = new(StringComparer.OrdinalIgnoreCase)
    {
        ["runtime-throughput"] = ("events/s through inbox, wake and turn: one embedded silo, Memory store, no-op policy [conversations=10000 events=1000000]", RuntimeScenarios.ThroughputAsync),
        ["runtime-memory"] = ("bytes per idle conversation activation (Orleans' own included) and per stored conversation [activations=100000]", RuntimeScenarios.MemoryAsync),
        ["postgres-ingest"] = ("durable inbox appends/s and latency on PostgreSQL, no runtime, open loop [rate=3000 seconds=10 conversations=5000 batch=256 writers=4; batch=1: no group commit]", Postgres.PostgresIngestScenario.RunAsync),
        ["ingest-ratio"] = ("closed-loop webhooks/s through a bare Kestrel JSON endpoint, the standalone gateway on PostgreSQL and the embedded silo, and the ratios [seconds=10 senders=64 conversations=5000 silo=1]", Postgres.IngestRatioScenario.RunAsync),
        ["gateway-ingest"] = ("webhooks/s and 200-after-commit latency through one standalone gateway on PostgreSQL [rate=3000 seconds=10]", Postgres.GatewayIngestScenario.RunAsync),
        ["cluster-rebalance"] = ("a third silo joins two under load: new activations and turns per silo per second [rate=500 before=5 after=20]", Postgres.ClusterRebalanceScenario.RunAsync),
        ["postgres-soak"] = ("churn over time on PostgreSQL: live/dead tuples and sizes of inbox, inbox_head, parked_action, orleans_storage [rate=1000 seconds=300 conversations=5000 sample=30 dedupe-minutes=1]", Postgres.PostgresSoakScenario.RunAsync),
        ["engage-burst"] = ("Engage: a burst over many threads through the embedded silo (gateway, grains) and the rate-limited REST client against the fake Engage API, then steady-state calls per message [threads=500 messages=2000 customers=100 rpm=450 steady=200]", EngageBurstScenario.RunAsync),
        ["chatwoot-ack"] = ("webhook ack latency at a fixed rate, slow fake AI, real silo [rate=1000 seconds=10 conversations=2000 ai-ms=2000 silo=PATH/Conversations.Silo.dll (its own process) spans]", ChatwootScenarios.AckLatencyAsync),
        ["chatwoot-concurrent"] = ("N conversations at once, each waiting on a slow fake AI [conversations=10000 ai-ms=2000 senders=64 ai=URL no-typing --Conversations:...=value]", ChatwootScenarios.ConcurrentAsync),
        ["chatwoot-sustained"] = ("N conversations in a closed loop, each always waiting on a slow fake AI [conversations=10000 ai-ms=2000 seconds=20 ai=URL no-typing alloc-profile --Conversations:...=value]", ChatwootScenarios.SustainedAsync),
        ["fake-ai"] = ("the slow fake AI alone, for chatwoot-concurrent ai=http://127.0.0.1:5099 [port=5099 ai-ms=2000]", Chatwoot.ChatwootScenarios.FakeAiAsync),
        ["runtime-latency"] = ("append-to-turn-start latency at a fixed rate, embedded silo, no-op policy [rate=10000 seconds=10 conversations=1000]", RuntimeScenarios.LatencyAsync),
    };

    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || !Scenarios.TryGetValue(args[0], out var scenario))
        {
            Console.WriteLine("scenarios:");
            foreach (var (name, (help, _)) in Scenarios) Console.WriteLine($"  {name,-22} {help}");
            return args.Length == 0 ? 0 : 2;
        }
        await scenario.Run(args[1..]);
        return 0;
    }
}
