using Conversations.Runtime.Tests.Cluster.Harness;
using Conversations.TestSupport.Postgres;
using Xunit.Abstractions;

namespace Conversations.Runtime.Tests.Cluster;

/// <summary>F4: the database restarts under the cluster (on a server of the test's own, so no other test is disturbed).</summary>
public sealed class ClusterDatabaseRestartTests(ITestOutputHelper output)
{
    [Fact]
    public async Task After_a_database_restart_only_live_incarnations_own_shards_epochs_only_rise_and_nothing_is_lost()
    {
        await using var server = await PrivatePostgresServer.StartAsync();
        await using var harness = await ClusterHarness.CreateAsync("restart", server.ConnectionString);
        var a = await harness.StartSiloAsync();
        var b = await harness.StartSiloAsync();
        await harness.WaitForAllShardsOwnedAsync(TimeSpan.FromSeconds(20), a, b);
        var keys = Enumerable.Range(0, 40).Select(i => new ConversationKey("acme", $"r{i}")).ToList();
        foreach (var key in keys) await harness.SendAsync(key, 1);
        var epochsBefore = await EpochsAsync(harness);

        await server.RestartAsync();
        var restartedAt = TimeProvider.System.GetTimestamp();
        // The platform retries until the gateway can store again.
        foreach (var key in keys)
        {
            while (true)
            {
                try { await harness.SendAsync(key, 2); break; }
                catch (Exception) { await Task.Delay(100); }
            }
        }

        await harness.WaitForAllShardsOwnedAsync(TimeSpan.FromSeconds(30), a, b);
        output.WriteLine($"all shards owned again {TimeProvider.System.GetElapsedTime(restartedAt).TotalMilliseconds:F0} ms after the restart");
        var live = new[] { a.Membership.Incarnation, b.Membership.Incarnation };
        Assert.Equal(live.Length, await harness.ScalarAsync<long>($"select count(*) from silo where status = 2 and incarnation in ({live[0]}, {live[1]})"));
        var epochsAfter = await EpochsAsync(harness);
        Assert.All(epochsBefore, p => Assert.True(epochsAfter[p.Key] >= p.Value));
        await ClusterAssertions.AssertExactlyOnceInOrderAsync(harness, keys.ToDictionary(k => k, _ => 2), TimeSpan.FromSeconds(30));
    }

    private static async Task<Dictionary<int, long>> EpochsAsync(ClusterHarness harness)
    {
        var epochs = new Dictionary<int, long>();
        await using var command = harness.DataSource.CreateCommand("select shard_id, epoch from shard");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) epochs[reader.GetInt32(0)] = reader.GetInt64(1);
        return epochs;
    }
}
