using Npgsql;

namespace Conversations.Storage.Postgres;

/// <summary>Builds the runtime's data source: every session gets statement and idle-in-transaction timeouts.</summary>
public static class PostgresDataSourceFactory
{
    /// <exception cref="StartupProblemException">The connection string does not parse (the message names the key).</exception>
    public static NpgsqlDataSource Create(PostgresStoreOptions options) => Create(options, Parse(options.ConnectionString));

    /// <exception cref="StartupProblemException">The connection string does not parse.</exception>
    public static NpgsqlConnectionStringBuilder Parse(string? connectionString)
    {
        try { return new NpgsqlConnectionStringBuilder(connectionString); }
        catch (ArgumentException ex)
        {
            throw new StartupProblemException($"{PostgresStoreOptions.SectionName}:ConnectionString is not a valid Npgsql connection string ({ex.Message}).", ex);
        }
    }

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
}
