using Conversations.Runtime.Cluster;
using Conversations.Runtime.Store;
using Conversations.Runtime.Tests.Cluster.Harness;
using Conversations.Runtime.Store.Postgres;
using Conversations.TestSupport.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Xunit.Abstractions;

namespace Conversations.Runtime.Tests.Cluster;

/// <summary>Fencing: F2 (zombie commit), F3 (silo loses the database), F6 (claim race), F10 (held xmin).</summary>
public sealed class ClusterFencingTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_zombie_turn_commits_nothing_after_its_shard_was_reassigned()
    {
        // F2: a turn held open (a GC pause) while the shard is reassigned; it resumes and must not commit.
        await using var harness = await ClusterHarness.CreateAsync("zombie");
        var a = await harness.StartSiloAsync();
        await harness.WaitForAllShardsOwnedAsync(Settle, a);
        var key = new ConversationKey("acme", "zombie");
        var shard = key.Shard(ClusterHarness.ShardCount);
        var gate = harness.Log.HoldTurnOpen(key);
        await harness.SendAsync(key, 1);
        await ClusterHarness.WaitUntilAsync(() => harness.Log.Turns.Any(t => t.Key == key), Settle, "turn started");
        var oldEpoch = a.Ownership.Owned[shard];

        // Reassign the shard behind the silo's back to another (live) silo, as a coordinator would.
        var other = await harness.ScalarAsync<long>("insert into silo (host, status, lease_until) values ('other', 2, clock_timestamp() + interval '1 minute') returning incarnation");
        await harness.ExecuteAsync($"update shard set owner = {other}, epoch = nextval('fence_seq') where shard_id = {shard}");
        gate.SetResult();

        await ClusterHarness.WaitUntilAsync(() => !a.Ownership.Owned.ContainsKey(shard), Settle, "silo saw the loss");
        await Task.Delay(500);
        Assert.Equal(0L, await harness.ScalarAsync<long>($"select count(*) from outbox where conversation_id = 'zombie'"));
        Assert.Equal(1L, await harness.ScalarAsync<long>($"select count(*) from inbox where conversation_id = 'zombie' and processed_at is null"));
        Assert.Empty(await harness.HistoryAsync(key));
        Assert.DoesNotContain(harness.Log.Sends, s => s.Key == key);

        // The shard comes back (the other silo leaves): the message is processed exactly once.
        harness.Log.TurnGates.TryRemove(key, out _);
        await harness.ExecuteAsync($"delete from silo where incarnation = {other}");
        await ClusterHarness.WaitUntilAsync(async () => (await harness.HistoryAsync(key)).Length == 1, Settle, "processed by the new owner");
        Assert.Equal(new[] { 1 }, await harness.HistoryAsync(key));
        Assert.Equal(0L, await harness.ScalarAsync<long>($"select count(*) from outbox where fence = {oldEpoch}"));
    }

    [Fact]
    public async Task A_silo_that_loses_the_database_stops_its_turns_before_the_new_owner_starts()
    {
        // F3: the silo's network to PostgreSQL stops forwarding; it must self-fence before anyone takes over.
        await using var harness = await ClusterHarness.CreateAsync("partition");
        var a = await harness.StartSiloAsync();
        var b = await harness.StartSiloAsync();
        await harness.WaitForAllShardsOwnedAsync(Settle, a, b);
        await ClusterHarness.WaitUntilAsync(() => Math.Abs(a.Ownership.Owned.Count - b.Ownership.Owned.Count) <= 1, Settle, "balanced shards");
        var keys = Enumerable.Range(0, 40).Select(i => new ConversationKey("acme", $"p{i}")).ToList();
        var onA = keys.Where(a.Holds).ToList();

        var partitionedAt = TimeProvider.System.GetTimestamp();
        a.Relay.Pause();
        long fencedAt = 0;
        await ClusterHarness.WaitUntilAsync(() =>
        {
            if (a.Ownership.IsTrusted) return false;
            fencedAt = TimeProvider.System.GetTimestamp();
            return true;
        }, Settle, "silo A self-fenced");
        foreach (var key in keys) await harness.SendAsync(key, 1);
        await ClusterHarness.WaitUntilAsync(async () =>
        {
            foreach (var key in onA) if ((await harness.HistoryAsync(key)).Length == 0) return false;
            return true;
        }, Settle, "A's conversations processed by B");

        var firstTakeover = harness.Log.Turns.Where(t => t.Silo == b.Name && onA.Contains(t.Key)).Min(t => t.Timestamp);
        output.WriteLine($"self-fenced after {TimeProvider.System.GetElapsedTime(partitionedAt, fencedAt).TotalMilliseconds:F0} ms, " +
                         $"B took over after {TimeProvider.System.GetElapsedTime(partitionedAt, firstTakeover).TotalMilliseconds:F0} ms");
        Assert.True(fencedAt < firstTakeover);
        Assert.DoesNotContain(harness.Log.Turns, t => t.Silo == a.Name && t.Timestamp > fencedAt);

        // The partition heals: A finds its lease gone and rejoins with a new incarnation.
        var oldIncarnation = a.Membership.Incarnation;
        a.Relay.Resume();
        await ClusterHarness.WaitUntilAsync(() => a.Membership.Incarnation != 0 && a.Membership.Incarnation != oldIncarnation, Settle, "A rejoined");
        foreach (var key in keys) Assert.Equal(new[] { 1 }, await harness.HistoryAsync(key));
    }

    [Fact]
    public async Task A_silo_whose_heartbeats_pause_self_fences_and_rejoins_with_a_new_incarnation()
    {
        await using var harness = await ClusterHarness.CreateAsync("pause");
        var a = await harness.StartSiloAsync();
        var b = await harness.StartSiloAsync();
        await harness.WaitForAllShardsOwnedAsync(Settle, a, b);
        // All shards owned may still mean b owns nearly all of them; balanced, a holds about half of the 100 keys.
        await ClusterHarness.WaitUntilAsync(() => Math.Abs(a.Ownership.Owned.Count - b.Ownership.Owned.Count) <= 1, Settle, "balanced shards");
        var key = Enumerable.Range(0, 100).Select(i => new ConversationKey("acme", $"h{i}")).First(a.Holds);
        var incarnation = a.Membership.Incarnation;

        a.Membership.PauseHeartbeats(true);
        await ClusterHarness.WaitUntilAsync(() => !a.Ownership.IsTrusted, Settle, "A stops trusting its lease");
        Assert.Null(a.Ownership.FenceFor(key));
        await harness.SendAsync(key, 1);
        await ClusterHarness.WaitUntilAsync(async () => (await harness.HistoryAsync(key)).Length == 1, Settle, "B took the conversation over");
        Assert.DoesNotContain(harness.Log.Turns, t => t.Silo == a.Name && t.Key == key);

        a.Membership.PauseHeartbeats(false);
        await ClusterHarness.WaitUntilAsync(() => a.Membership.Incarnation != 0 && a.Membership.Incarnation != incarnation, Settle, "A rejoined");
        Assert.Equal(4, await harness.ScalarAsync<short>($"select status from silo where incarnation = {incarnation}"));
    }

    [Fact]
    public async Task Concurrent_coordinators_and_claimers_have_one_winner()
    {
        // F6: 8 silos race for the coordinator and for the same orphaned shard, repeatedly.
        await using var database = await PostgresTestDatabase.CreateAsync("race");
        await using var source = PostgresDataSourceFactory.Create(new PostgresStoreOptions { ConnectionString = database.ConnectionString });
        await new PostgresSchemaMigrator(source, NullLogger<PostgresSchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
        var db = new ClusterDatabase(source);
        await db.EnsureShardsAsync(8, CancellationToken.None);
        var silos = new List<long>();
        for (var i = 0; i < 8; i++) silos.Add(await db.JoinAsync($"racer{i}", TimeSpan.FromMinutes(1), CancellationToken.None));

        for (var round = 0; round < 20; round++)
        {
            await Exec(source, "delete from coordinator; update shard set owner = null where shard_id = 0");
            var terms = await Task.WhenAll(silos.Select(s => Task.Run(() => db.ElectAsync(s, TimeSpan.FromMinutes(1), CancellationToken.None))));
            Assert.Single(terms, t => t is not null);
            var leader = silos[Array.FindIndex(terms, t => t is not null)];
            var term = terms.Single(t => t is not null)!.Value;

            // Every silo believes it leads (stale leaders included) and claims shard 0 for itself.
            var claims = await Task.WhenAll(silos.Select(s => Task.Run(() =>
                db.AssignOrphansAsync(s, s == leader ? term : term - 1, [new ShardMove(0, 0, s)], CancellationToken.None))));
            Assert.Single(claims, c => c.Count == 1);
            Assert.Equal(leader, (long)(await Scalar(source, "select owner from shard where shard_id = 0"))!);
        }

        // Owners racing to release the same shard to different targets: one move, one new epoch.
        await Exec(source, $"update shard set owner = {silos[0]} where shard_id = 1");
        var epochBefore = (long)(await Scalar(source, "select epoch from shard where shard_id = 1"))!;
        var releases = await Task.WhenAll(silos.Skip(1).Select(t => Task.Run(() =>
            db.ReleaseAsync(silos[0], [new ShardMove(1, silos[0], t)], requireHandoff: false, CancellationToken.None))));
        Assert.Single(releases, r => r.Count == 1);
        Assert.True((long)(await Scalar(source, "select epoch from shard where shard_id = 1"))! > epochBefore);
    }

    [Fact]
    public async Task A_session_idle_in_a_transaction_is_killed_by_the_server()
    {
        // F10: a held snapshot would stop vacuum; the runtime's sessions carry idle_in_transaction_session_timeout.
        await using var database = await PostgresTestDatabase.CreateAsync("xmin");
        await using var source = PostgresDataSourceFactory.Create(new PostgresStoreOptions
        {
            ConnectionString = database.ConnectionString,
            IdleInTransactionSessionTimeout = TimeSpan.FromSeconds(1),
        });
        await using var connection = await source.OpenConnectionAsync();
        var pid = connection.ProcessID;
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var command = new NpgsqlCommand("select txid_current()", connection, transaction)) await command.ExecuteScalarAsync();
        var idleSince = TimeProvider.System.GetTimestamp();

        // Without the timeout the session would stay forever; with it, the server ends it about a second later.
        await using var observer = new NpgsqlConnection(database.ConnectionString);
        await observer.OpenAsync();
        await using var check = new NpgsqlCommand($"select count(*) from pg_stat_activity where pid = {pid}", observer);
        await ClusterHarness.WaitUntilAsync(async () => (long)(await check.ExecuteScalarAsync())! == 0, Settle, "the idle-in-transaction session killed by the server");
        output.WriteLine($"session killed {TimeProvider.System.GetElapsedTime(idleSince).TotalMilliseconds:F0} ms after its transaction went idle");
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var command = new NpgsqlCommand("select 1", connection, transaction);
            await command.ExecuteScalarAsync();
        });
    }

    private static async Task Exec(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<object?> Scalar(NpgsqlDataSource source, string sql)
    {
        await using var command = source.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }
}
