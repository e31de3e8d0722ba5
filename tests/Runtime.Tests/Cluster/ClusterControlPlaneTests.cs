using Conversations.Runtime.Tests.Cluster.Harness;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Conversations.Runtime.Tests.Cluster;

/// <summary>Heartbeats and coordinator rounds have their own connections: a busy data plane never costs a silo its lease.</summary>
public sealed class ClusterControlPlaneTests
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_silo_whose_turns_hold_every_pooled_connection_keeps_its_lease()
    {
        await using var harness = await ClusterHarness.CreateAsync("control");
        var a = await harness.StartSiloAsync();
        await harness.WaitForAllShardsOwnedAsync(Settle, a);
        var incarnation = a.Membership.Incarnation;

        // Take every connection of the silo's main pool, as turns stuck on a slow database would.
        var main = a.Host.Services.GetRequiredService<NpgsqlDataSource>();
        var held = new List<NpgsqlConnection>();
        try
        {
            while (true)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(3));
                try { held.Add(await main.OpenConnectionAsync(timeout.Token)); }
                catch (Exception ex) when (ex is OperationCanceledException or NpgsqlException) { break; }
            }
            Assert.NotEmpty(held);

            // Several lease lifetimes (TTL 2 s) with the pool exhausted: the silo still renews.
            await Task.Delay(TimeSpan.FromSeconds(6));
            Assert.Equal(incarnation, a.Membership.Incarnation);
            Assert.True(a.Ownership.IsTrusted);
            Assert.Equal(ClusterHarness.ShardCount, a.Ownership.Owned.Count);
        }
        finally
        {
            foreach (var connection in held) await connection.DisposeAsync();
        }
    }
}
