using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Conversations.Storage.Postgres;

/// <summary>
/// Before any other service starts (Orleans' providers among them): applies the schema under the
/// migrator's advisory lock, so the Orleans tables and query texts exist when the silo joins.
/// </summary>
public sealed class PostgresStartup(PostgresSchemaMigrator migrator, IOptions<PostgresStoreOptions> options) : IHostedLifecycleService
{
    /// <exception cref="StartupProblemException">The database cannot be reached (the message names the key and the host).</exception>
    public async Task StartingAsync(CancellationToken cancellationToken)
    {
        if (!options.Value.ApplySchema) return;
        try
        {
            await migrator.MigrateAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is Npgsql.NpgsqlException or System.Net.Sockets.SocketException or TimeoutException)
        {
            var target = PostgresDataSourceFactory.Parse(options.Value.ConnectionString);
            throw new StartupProblemException(
                $"{PostgresStoreOptions.SectionName}:ConnectionString: PostgreSQL at {target.Host}:{target.Port} (database {target.Database ?? "(default)"}) " +
                $"could not be reached or refused the session: {(ex.InnerException ?? ex).Message}", ex);
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
