using Npgsql;

namespace Conversations.TestSupport.Postgres;

/// <summary>
/// A fresh, uniquely named database on the throwaway server named by CONVERSATIONS_TEST_PG, dropped
/// on dispose, so test classes can run in parallel. Fails (never skips) when the variable is unset.
/// </summary>
public sealed class PostgresTestDatabase : IAsyncDisposable
{
    public const string Variable = "CONVERSATIONS_TEST_PG";

    private PostgresTestDatabase(string serverConnectionString, string name, string connectionString)
    {
        ServerConnectionString = serverConnectionString;
        Name = name;
        ConnectionString = connectionString;
    }

    public string ServerConnectionString { get; }
    public string Name { get; }

    /// <summary>Connection string to the fresh database.</summary>
    public string ConnectionString { get; }

    /// <summary>The server connection string; throws a clear message when the variable is unset.</summary>
    public static string RequireServer() =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{Variable} is not set. PostgreSQL tests need a server: run ./test.sh (it starts a throwaway one) " +
                $"or export {Variable}=\"Host=127.0.0.1;Port=...;Username=postgres;Database=postgres\".");

    public static Task<PostgresTestDatabase> CreateAsync(string prefix) => CreateAsync(prefix, RequireServer());

    public static async Task<PostgresTestDatabase> CreateAsync(string prefix, string server)
    {
        var name = $"t_{prefix.ToLowerInvariant()}_{Guid.NewGuid():N}"[..Math.Min(63, prefix.Length + 35)];
        await using (var connection = new NpgsqlConnection(server))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"create database \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }
        var builder = new NpgsqlConnectionStringBuilder(server) { Database = name };
        return new PostgresTestDatabase(server, name, builder.ConnectionString);
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(ServerConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"drop database if exists \"{Name}\" with (force)", connection);
        await command.ExecuteNonQueryAsync();
    }
}
