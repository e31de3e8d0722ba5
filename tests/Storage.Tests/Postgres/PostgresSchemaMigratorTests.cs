using System.Text;
using Conversations.Storage;
using Conversations.Storage.Postgres;
using Conversations.TestSupport.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Conversations.Storage.Tests.Postgres;

public sealed class PostgresSchemaMigratorTests
{
    private static readonly CancellationToken None = CancellationToken.None;

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
                new PostgresSchemaMigrator(s, NullLogger<PostgresSchemaMigrator>.Instance).MigrateAsync(None))));
            await new PostgresSchemaMigrator(sources[0], NullLogger<PostgresSchemaMigrator>.Instance).MigrateAsync(None);

            await using var command = sources[0].CreateCommand("select array_agg(version order by version), count(*) from schema_version");
            await using var reader = await command.ExecuteReaderAsync();
            Assert.True(await reader.ReadAsync());
            Assert.Equal(PostgresSchemaMigrator.Scripts.Select(s => s.Version), reader.GetFieldValue<int[]>(0));
            Assert.Equal(PostgresSchemaMigrator.Scripts.Count, reader.GetInt64(1));
        }
        finally
        {
            foreach (var source in sources) await source.DisposeAsync();
        }
    }

    [Fact]
    public void Embedded_scripts_are_numbered_from_one_in_order_with_the_initial_and_orleans_runtime_files()
    {
        var versions = PostgresSchemaMigrator.Scripts.Select(s => s.Version).ToList();
        Assert.Equal(1, versions[0]);
        Assert.Equal(versions.Order(), versions);
        Assert.Equal(versions.Count, versions.Distinct().Count());
        Assert.Equal("001_initial.sql", PostgresSchemaMigrator.Scripts.Single(s => s.Version == 1).Name);
        Assert.Equal("003_orleans_runtime.sql", PostgresSchemaMigrator.Scripts.Single(s => s.Version == 3).Name);
        Assert.All(PostgresSchemaMigrator.Scripts, s => Assert.False(string.IsNullOrWhiteSpace(s.Sql)));
    }

    [Fact]
    public async Task Upgrading_a_version_one_database_keeps_unprocessed_events_and_parked_actions()
    {
        await using var database = await PostgresTestDatabase.CreateAsync("upgrade");
        await using var dataSource = PostgresDataSourceFactory.Create(new PostgresStoreOptions { ConnectionString = database.ConnectionString });
        var (legacy, ids, parkedId) = await CreateVersionOneRowsAsync(dataSource);

        await new PostgresSchemaMigrator(dataSource, NullLogger<PostgresSchemaMigrator>.Instance).MigrateAsync(None);

        Assert.Equal(PostgresSchemaMigrator.Scripts.Select(s => s.Version), await ScalarAsync<int[]>(dataSource, "select array_agg(version order by version) from schema_version"));
        foreach (var dropped in new[] { "coordinator", "shard", "silo", "cluster_config", "conversation", "outbox", "fence_seq" })
            Assert.True(await ScalarAsync<bool>(dataSource, $"select to_regclass('public.{dropped}') is null"), dropped);
        Assert.Equal(0L, await ScalarAsync<long>(dataSource, "select count(*) from information_schema.columns where table_name = 'inbox' and column_name in ('processed_at', 'shard_id')"));

        await using var batcher = new InboxAppendBatcher(dataSource, 64, 2);
        var store = new PostgresConversationStore(dataSource, batcher);
        var conv1 = new ConversationKey("acme", "conv-1");
        var conv2 = new ConversationKey("acme", "conv-2");

        // Unprocessed events are there for a cursor starting at 0, in their old order; processed ones are not.
        var events = await store.ReadAfterAsync(conv1, 0, 100, None);
        Assert.Equal(["new-1", "new-2", "new-3"], events.Select(e => e.DedupeKey));
        Assert.Equal([ids["new-1"], ids["new-2"], ids["new-3"]], events.Select(e => e.Sequence));
        Assert.Equal(["body new-1", "body new-2", "body new-3"], events.Select(e => Encoding.UTF8.GetString(e.Body.Span)));
        Assert.All(events, e => Assert.Equal("legacy.event", e.Type));
        Assert.Equal(["other-1"], (await store.ReadAfterAsync(conv2, 0, 100, None)).Select(e => e.DedupeKey));
        Assert.Equal(3, await store.CountAfterAsync(conv1, 0, None));
        Assert.Equal(1, await store.CountAfterAsync(conv2, 0, None));

        // They are re-driven, oldest first.
        Assert.Equal([conv2, conv1], await store.FindUnconsumedAsync(TimeSpan.Zero, 100, None));

        // The parked action shows up (its old id negated, below the grains' new ids); the sent and
        // pending ones are gone with the old runtime.
        var parked = Assert.Single(await store.ReadParkedAsync(100, None));
        Assert.Equal(conv1, parked.Key);
        Assert.Equal((-parkedId, "chatwoot.reply", OutboxStatus.Parked, 5, "HTTP 403 closed thread"),
            (parked.Message.Id, parked.Message.Kind, parked.Message.Status, parked.Message.Attempts, parked.Message.LastError));
        Assert.Equal([0x02, 0x03], parked.Message.Payload.ToArray());
        Assert.Equal(LegacyParkedAt, await ScalarAsync<DateTime>(dataSource, "select parked_at from parked_action"));
        Assert.Equal([-parkedId], (await store.ReadParkedAsync(conv1, None)).Select(m => m.Id));

        // New events are numbered above every legacy one; legacy dedupe keys, processed or not, still drop repeats.
        var appended = await store.AppendAsync(conv1, [new("old-1", "t", new byte[] { 1 }), new("new-2", "t", new byte[] { 1 }), new("fresh", "t", new byte[] { 1 })], None);
        var highest = legacy.Where(l => l.Conversation == "conv-1").Max(l => ids[l.Dedupe]);
        Assert.Equal(new AppendResult(1, 2, highest + 1), appended);
        Assert.Equal(["new-1", "new-2", "new-3", "fresh"], (await store.ReadAfterAsync(conv1, 0, 100, None)).Select(e => e.DedupeKey));
        var newConversation = new ConversationKey("acme", "conv-new");
        Assert.Equal(new AppendResult(1, 0, 1), await store.AppendAsync(newConversation, [new("x", "t", new byte[] { 1 })], None));

        // The grain consumes the migrated events like any other.
        await store.MarkConsumedAsync(conv1, highest + 1, None);
        Assert.Equal([conv2, newConversation], await store.FindUnconsumedAsync(TimeSpan.Zero, 100, None));
    }

    // The upgrade keeps a legacy parked action under its old outbox id, a number from one identity
    // shared by every conversation, while a conversation's grain starts its new state with action
    // ids from 1 (ConversationGrainState.NextActionId). The two id spaces meet in parked_action.

    [Fact]
    public async Task After_the_upgrade_a_new_parked_action_with_the_id_of_a_legacy_one_is_kept()
    {
        await using var database = await PostgresTestDatabase.CreateAsync("upgrade");
        await using var dataSource = PostgresDataSourceFactory.Create(new PostgresStoreOptions { ConnectionString = database.ConnectionString });
        var (_, _, parkedId) = await CreateVersionOneRowsAsync(dataSource);
        await new PostgresSchemaMigrator(dataSource, NullLogger<PostgresSchemaMigrator>.Instance).MigrateAsync(None);
        await using var batcher = new InboxAppendBatcher(dataSource, 64, 1);
        var store = new PostgresConversationStore(dataSource, batcher);
        var conv1 = new ConversationKey("acme", "conv-1");
        Assert.Equal(2, parkedId);

        // The grain's second action after the upgrade (id 2, as NextActionId counts) fails for good and is parked.
        await store.ParkAsync(conv1, new OutboxMessage(parkedId, "chatwoot.new", new byte[] { 9 }, OutboxStatus.Pending, 1, DateTimeOffset.UtcNow, "HTTP 400"), None);

        Assert.Equal(["chatwoot.reply", "chatwoot.new"], (await store.ReadParkedAsync(conv1, None)).Select(m => m.Kind));
        Assert.Equal(["chatwoot.new", "chatwoot.reply"], (await store.ReadParkedAsync(100, None)).Select(p => p.Message.Kind));
    }

    [Fact]
    public async Task After_the_upgrade_legacy_parked_actions_list_before_the_new_ones_of_their_conversation()
    {
        await using var database = await PostgresTestDatabase.CreateAsync("upgrade");
        await using var dataSource = PostgresDataSourceFactory.Create(new PostgresStoreOptions { ConnectionString = database.ConnectionString });
        var (_, _, parkedId) = await CreateVersionOneRowsAsync(dataSource);
        await new PostgresSchemaMigrator(dataSource, NullLogger<PostgresSchemaMigrator>.Instance).MigrateAsync(None);
        await using var batcher = new InboxAppendBatcher(dataSource, 64, 1);
        var store = new PostgresConversationStore(dataSource, batcher);
        var conv1 = new ConversationKey("acme", "conv-1");
        Assert.True(parkedId > 1);

        // The grain's first action after the upgrade (id 1) is parked, months after the legacy one.
        await store.ParkAsync(conv1, new OutboxMessage(1, "chatwoot.new", new byte[] { 9 }, OutboxStatus.Pending, 1, DateTimeOffset.UtcNow, "HTTP 400"), None);

        // One conversation's parked actions are listed oldest first (IConversationStore.ReadParkedAsync(key)).
        Assert.Equal(["chatwoot.reply", "chatwoot.new"], (await store.ReadParkedAsync(conv1, None)).Select(m => m.Kind));
    }

    private static readonly DateTimeOffset LegacyParkedAt = new(2026, 1, 2, 3, 4, 5, TimeSpan.Zero);

    /// <summary>
    /// A database the old runtime left behind: only 001_initial.sql applied (by hand, as version 1),
    /// with its rows: inbox events of two conversations, some processed; a sent, a parked (status 2)
    /// and a pending outbox row; a conversation; the membership rows.
    /// </summary>
    private static async Task<((string Conversation, string Dedupe, bool Processed)[] Legacy, Dictionary<string, long> Ids, long ParkedId)> CreateVersionOneRowsAsync(NpgsqlDataSource dataSource)
    {
        var initial = PostgresSchemaMigrator.Scripts.Single(s => s.Version == 1);
        await ExecuteAsync(dataSource, initial.Sql);
        await ExecuteAsync(dataSource, $"""
            create table schema_version (version int primary key, name text not null, applied_at timestamptz not null default clock_timestamp());
            insert into schema_version (version, name) values (1, '{initial.Name}');
            insert into cluster_config (name, value) values ('shard_count', '64');
            insert into silo (host, status, lease_until) values ('old-silo', 2, clock_timestamp() + interval '1 minute');
            insert into shard (shard_id, owner, epoch) select 7, incarnation, 3 from silo;
            insert into coordinator (name, holder, term, expires_at) select 'coordinator', incarnation, 3, clock_timestamp() from silo;
            insert into conversation (tenant, conversation_id, shard_id, fence, version, state) values ('acme', 'conv-1', 7, 3, 12, '\x7b7d'::bytea);
            """);
        // Interleaved across two conversations so that the legacy ids have gaps within each.
        var legacy = new (string Conversation, string Dedupe, bool Processed)[]
        {
            ("conv-1", "old-1", true), ("conv-2", "other-1", false), ("conv-1", "old-2", true), ("conv-1", "new-1", false),
            ("conv-2", "other-2", true), ("conv-1", "new-2", false), ("conv-1", "new-3", false),
        };
        var ids = new Dictionary<string, long>();
        foreach (var (conversation, dedupe, processed) in legacy)
        {
            await using var insert = dataSource.CreateCommand(
                "insert into inbox (shard_id, tenant, conversation_id, dedupe_key, type, body, processed_at) values (7, 'acme', $1, $2, 'legacy.event', $3, $4) returning id");
            insert.Parameters.Add(new NpgsqlParameter { Value = conversation });
            insert.Parameters.Add(new NpgsqlParameter { Value = dedupe });
            insert.Parameters.Add(new NpgsqlParameter { Value = Encoding.UTF8.GetBytes("body " + dedupe) });
            insert.Parameters.Add(new NpgsqlParameter { Value = processed ? DateTimeOffset.UtcNow : DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.TimestampTz });
            ids[dedupe] = (long)(await insert.ExecuteScalarAsync())!;
        }
        await ExecuteAsync(dataSource, """
            insert into outbox (shard_id, tenant, conversation_id, fence, kind, payload, status, attempts, last_error, finished_at)
            values (7, 'acme', 'conv-1', 3, 'chatwoot.sent', '\x01'::bytea, 1, 1, null, clock_timestamp()),
                   (7, 'acme', 'conv-1', 3, 'chatwoot.reply', '\x0203'::bytea, 2, 5, 'HTTP 403 closed thread', timestamptz '2026-01-02 03:04:05+00'),
                   (7, 'acme', 'conv-1', 3, 'chatwoot.pending', '\x04'::bytea, 0, 0, null, null);
            """);
        var parkedId = await ScalarAsync<long>(dataSource, "select id from outbox where status = 2");

        return (legacy, ids, parkedId);
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<T> ScalarAsync<T>(NpgsqlDataSource dataSource, string sql)
    {
        await using var command = dataSource.CreateCommand(sql);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? default! : (T)value!;
    }
}
