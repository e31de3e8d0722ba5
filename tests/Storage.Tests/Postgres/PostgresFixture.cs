using Conversations.Storage.Postgres;
using Conversations.TestSupport.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Conversations.Storage.Tests.Postgres;

/// <summary>A fresh migrated database per test class (dropped afterwards) and a store on it.</summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    /// <summary>The production defaults (<see cref="PostgresStoreOptions"/>): several writers, so batches commit concurrently.</summary>
    public const int AppendBatchSize = 256;
    public const int AppendWriters = 4;

    private PostgresTestDatabase? _database;
    private InboxAppendBatcher? _batcher;

    public PostgresTestDatabase Database => _database ?? throw new InvalidOperationException("not initialized");
    public NpgsqlDataSource DataSource { get; private set; } = null!;
    public PostgresConversationStore Store { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _database = await PostgresTestDatabase.CreateAsync("store");
        DataSource = PostgresDataSourceFactory.Create(new PostgresStoreOptions { ConnectionString = _database.ConnectionString });
        await new PostgresSchemaMigrator(DataSource, NullLogger<PostgresSchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
        _batcher = new InboxAppendBatcher(DataSource, AppendBatchSize, AppendWriters);
        Store = new PostgresConversationStore(DataSource, _batcher);
    }

    public async Task DisposeAsync()
    {
        if (_batcher is not null) await _batcher.DisposeAsync();
        if (DataSource is not null) await DataSource.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
    }

    /// <summary>Empties the store's tables (the tests of one class run one at a time).</summary>
    public Task TruncateAsync() => ExecuteAsync("truncate inbox, inbox_head, parked_action, tenant_value, conversation_directory");

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
