using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Conversations.Storage.Postgres;

/// <summary>
/// Before any other service starts (Orleans' providers among them): applies the schema under the
/// migrator's advisory lock, so the Orleans tables and query texts exist when the silo joins.
/// </summary>
public sealed class PostgresStartup(PostgresSchemaMigrator migrator, IOptions<PostgresStoreOptions> options) : IHostedLifecycleService
{
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (options.Value.ApplySchema) await migrator.MigrateAsync(cancellationToken);
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
