namespace Conversations.Bench.Postgres;

/// <summary>
/// A throwaway database on the server named by CONVERSATIONS_BENCH_PG (or CONVERSATIONS_TEST_PG),
/// dropped on dispose. Every PostgreSQL scenario runs in one of these.
/// </summary>
public sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string _server;
    private readonly string _name;

    private BenchDatabase(string server, string name)
    {
        _server = server;
        _name = name;
        ConnectionString = new Npgsql.NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString;
    }

    public string ConnectionString { get; }

    public static async Task<BenchDatabase> CreateAsync(string prefix)
    {
        var server = Environment.GetEnvironmentVariable("CONVERSATIONS_BENCH_PG") ?? Environment.GetEnvironmentVariable("CONVERSATIONS_TEST_PG")
            ?? throw new InvalidOperationException("Set CONVERSATIONS_BENCH_PG (or CONVERSATIONS_TEST_PG) to an Npgsql connection string.");
        var database = new BenchDatabase(server, $"bench_{prefix}_{Guid.NewGuid():N}"[..40]);
        await ExecuteAsync(server, $"create database {database._name}");
        return database;
    }

    public static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new Npgsql.NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new Npgsql.NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Npgsql.NpgsqlConnection.ClearAllPools();
        await ExecuteAsync(_server, $"drop database if exists {_name} with (force)");
    }
}
