using Conversations.Storage.Postgres;
using Conversations.TestSupport.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Conversations.Storage.Tests.Postgres;

/// <summary>A fresh migrated database per test class (dropped afterwards) and a store on it.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    public const int ShardCount = 64;

    private PostgresTestDatabase? _database;

    public PostgresTestDatabase Database => _database ?? throw new InvalidOperationException("not initialized");
    public NpgsqlDataSource DataSource { get; private set; } = null!;
    public PostgresConversationStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync("store");
        DataSource = PostgresDataSourceFactory.Create(new PostgresStoreOptions { ConnectionString = _database.ConnectionString });
        await new PostgresSchemaMigrator(DataSource, NullLogger<PostgresSchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
        Store = new PostgresConversationStore(DataSource, ShardCount);
    }

    public async Task DisposeAsync()
    {
        await DataSource.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
    }

    public async Task<long> ScalarAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
