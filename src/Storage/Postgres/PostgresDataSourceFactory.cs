using Npgsql;

namespace Conversations.Storage.Postgres;

/// <summary>Builds the runtime's data source: every session gets statement and idle-in-transaction timeouts.</summary>
public static class PostgresDataSourceFactory
{
    public static NpgsqlDataSource Create(PostgresStoreOptions options) => Create(options, new NpgsqlConnectionStringBuilder(options.ConnectionString));

    /// <summary>
    /// The control plane's own small pool (heartbeats, coordinator, shard hand-offs): under load, turns
    /// can hold every connection of the main pool, and a heartbeat that waits for one loses the lease.
    /// </summary>
    public static NpgsqlDataSource CreateControl(PostgresStoreOptions options) => Create(options, new NpgsqlConnectionStringBuilder(options.ConnectionString)
    {
        MaxPoolSize = 8,
        MinPoolSize = 0,
        ApplicationName = "conversations-control",
    });

    private static NpgsqlDataSource Create(PostgresStoreOptions options, NpgsqlConnectionStringBuilder builder)
    {
        // Startup parameters, so every pooled session carries them. PgBouncer in transaction mode
        // rejects startup parameters (river#205): there, set them on the role instead.
        var timeouts = $"-c statement_timeout={(long)options.StatementTimeout.TotalMilliseconds} " +
                       $"-c idle_in_transaction_session_timeout={(long)options.IdleInTransactionSessionTimeout.TotalMilliseconds}";
        builder.Options = string.IsNullOrWhiteSpace(builder.Options) ? timeouts : builder.Options + " " + timeouts;
        if (string.IsNullOrEmpty(builder.ApplicationName)) builder.ApplicationName = "conversations";
        return new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
    }

    /// <summary>The LISTEN session's source: keepalive queries detect a dead connection while waiting.</summary>
    public static NpgsqlDataSource CreateListener(PostgresStoreOptions options)
    {
        var builder = new NpgsqlConnectionStringBuilder(options.ConnectionString)
        {
            KeepAlive = 5,
            ApplicationName = "conversations-listen",
            MaxPoolSize = 2,
        };
        return new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
    }
}
