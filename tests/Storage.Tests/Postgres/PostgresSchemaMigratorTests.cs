using Conversations.Storage.Postgres;
using Conversations.TestSupport.Postgres;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conversations.Storage.Tests.Postgres;

public sealed class PostgresSchemaMigratorTests
{
    [Fact]
    public async Task Four_migrators_starting_together_apply_each_file_once_and_rerun_is_a_no_op()
    {
        await using var database = await PostgresTestDatabase.CreateAsync("migrate");
        var sources = Enumerable.Range(0, 4)
            .Select(_ => PostgresDataSourceFactory.Create(new PostgresStoreOptions { ConnectionString = database.ConnectionString }))
            .ToArray();
        try
        {
            await Task.WhenAll(sources.Select(s => Task.Run(() =>
                new PostgresSchemaMigrator(s, NullLogger<PostgresSchemaMigrator>.Instance).MigrateAsync(CancellationToken.None))));
            await new PostgresSchemaMigrator(sources[0], NullLogger<PostgresSchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);

            await using var command = sources[0].CreateCommand("select array_agg(version order by version) from schema_version");
            var versions = (int[])(await command.ExecuteScalarAsync())!;
            Assert.Equal(PostgresSchemaMigrator.Scripts.Select(s => s.Version), versions);
        }
        finally
        {
            foreach (var source in sources) await source.DisposeAsync();
        }
    }

    [Fact]
    public void Embedded_scripts_are_numbered_from_one()
    {
        Assert.NotEmpty(PostgresSchemaMigrator.Scripts);
        Assert.Equal(1, PostgresSchemaMigrator.Scripts[0].Version);
    }
}
