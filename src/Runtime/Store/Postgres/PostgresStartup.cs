using Conversations.Runtime.Cluster;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Conversations.Runtime.Store.Postgres;

/// <summary>
/// Before any other service starts: applies the schema (under the migrator's advisory lock) and
/// fixes or checks the shard count, so that a misconfigured process fails at start-up.
/// </summary>
public sealed class PostgresStartup(PostgresSchemaMigrator migrator, ClusterDatabase cluster, IOptions<PostgresStoreOptions> storeOptions, IOptions<ClusterOptions> clusterOptions)
    : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (storeOptions.Value.ApplySchema) await migrator.MigrateAsync(cancellationToken);
        await cluster.EnsureShardsAsync(clusterOptions.Value.ShardCount, cancellationToken);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
