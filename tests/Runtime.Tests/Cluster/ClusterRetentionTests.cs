using Conversations.Runtime.Tests.Cluster.Harness;
using Npgsql;

namespace Conversations.Runtime.Tests.Cluster;

/// <summary>The retention sweep runs beside the coordinator's rounds: a slow or blocked sweep never delays failover.</summary>
public sealed class ClusterRetentionTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_blocked_retention_sweep_does_not_stop_the_coordinator_from_failing_over_a_dead_silo()
    {
        await using var harness = await ClusterHarness.CreateAsync("retention");
        harness.Settings["Conversations:Store:RetentionInterval"] = "00:00:00.2";
        // A blocked statement must stay blocked (server statement_timeout 30 s): no client timeout frees it sooner.
        harness.CommandTimeoutSeconds = 60;
        var a = await harness.StartSiloAsync();
        await harness.WaitForAllShardsOwnedAsync(Settle, a); // a is the coordinator
        var b = await harness.StartSiloAsync();
        await ClusterHarness.WaitUntilAsync(() => b.Ownership.Owned.Count > 0, Settle, "b owns shards");

        // Hold the inbox so a's next retention sweep waits on the lock.
        await using var blocker = await harness.DataSource.OpenConnectionAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        // (The runtime's connections end idle transactions; this one must hold the lock for the whole test.)
        await using (var lockInbox = new NpgsqlCommand("set local idle_in_transaction_session_timeout = 0; lock table inbox in access exclusive mode", blocker, transaction))
            await lockInbox.ExecuteNonQueryAsync();
        await ClusterHarness.WaitUntilAsync(
            async () => await harness.ScalarAsync<long>("select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like 'delete from inbox%'") > 0,
            Settle, "a retention sweep waiting on the inbox lock");

        await b.KillAsync();

        await ClusterHarness.WaitUntilAsync(() => a.Ownership.Owned.Count == ClusterHarness.ShardCount, Settle, "a takes over b's shards while its sweep is blocked");
        await transaction.RollbackAsync();
    }
}
