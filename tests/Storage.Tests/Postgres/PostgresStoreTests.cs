using System.Text;
using Conversations.Storage;

namespace Conversations.Storage.Tests.Postgres;

/// <summary>Behaviour specific to the Postgres store (the shared contract runs in PostgresConversationStoreTests).</summary>
public sealed class PostgresStoreTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static ConversationKey NewKey() => new("acme", "c-" + Guid.NewGuid().ToString("N"));
    private static NewInboxMessage Message(string dedupe) => new(dedupe, "test", Encoding.UTF8.GetBytes("body " + dedupe));

    [Fact]
    public async Task Append_same_dedupe_key_from_eight_concurrent_tasks_takes_effect_once()
    {
        var key = NewKey();
        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ =>
            Task.Run(async () => await fixture.Store.AppendAsync(key, [Message("m-1")], CancellationToken.None))));
        Assert.Equal(1, results.Sum(r => r.Appended));
        Assert.Equal(7, results.Sum(r => r.Duplicates));
        Assert.Single(await fixture.Store.ReadPendingAsync(key, 10, CancellationToken.None));
    }

    [Fact]
    public async Task Append_keeps_order_and_drops_repeats_within_one_call()
    {
        var key = NewKey();
        var result = await fixture.Store.AppendAsync(key, [Message("a"), Message("b"), Message("a"), Message("c")], CancellationToken.None);
        Assert.Equal(new AppendResult(3, 1), result);
        var pending = await fixture.Store.ReadPendingAsync(key, 10, CancellationToken.None);
        Assert.Equal(["a", "b", "c"], pending.Select(m => m.DedupeKey));
        Assert.True(pending[0].Sequence < pending[1].Sequence && pending[1].Sequence < pending[2].Sequence);
    }

    [Fact]
    public async Task Commit_is_fenced_by_the_shard_epoch_before_the_new_owner_activates()
    {
        var key = NewKey();
        var shard = key.Shard(PostgresFixture.ShardCount);
        try
        {
            await fixture.ExecuteAsync($"insert into shard (shard_id, epoch) values ({shard}, 5) on conflict (shard_id) do update set epoch = 5");
            await fixture.Store.AppendAsync(key, [Message("m")], CancellationToken.None);
            var snapshot = await fixture.Store.ActivateAsync(key, 5, CancellationToken.None);
            Assert.NotNull(snapshot);
            var pending = await fixture.Store.ReadPendingAsync(key, 10, CancellationToken.None);

            // The shard moves on (a reassign) while the old owner holds a turn open.
            await fixture.ExecuteAsync($"update shard set epoch = 9 where shard_id = {shard}");
            var outcome = await fixture.Store.CommitTurnAsync(new TurnCommit(key, 5, snapshot.Version, new byte[] { 1 },
                [pending[0].Sequence], [new NewOutboxMessage("reply", new byte[] { 2 })]), CancellationToken.None);

            Assert.Equal(CommitStatus.Fenced, outcome.Status);
            Assert.Equal(0, await fixture.ScalarAsync($"select count(*) from outbox where tenant = 'acme' and conversation_id = '{key.ConversationId}'"));
            Assert.Single(await fixture.Store.ReadPendingAsync(key, 10, CancellationToken.None));
            Assert.Null(await fixture.Store.ActivateAsync(key, 5, CancellationToken.None));
            Assert.NotNull(await fixture.Store.ActivateAsync(key, 9, CancellationToken.None));
        }
        finally
        {
            // Other tests of this class use fence 1 in random shards: leave no epoch behind.
            await fixture.ExecuteAsync($"delete from shard where shard_id = {shard}");
        }
    }

    [Fact]
    public async Task Commit_order_gap_skips_nothing()
    {
        // F11: the lower id commits last; both are processed.
        var key = NewKey();
        await using var slow = await fixture.DataSource.OpenConnectionAsync();
        await using var transaction = await slow.BeginTransactionAsync();
        await using (var insert = new Npgsql.NpgsqlCommand(
            $"insert into inbox (shard_id, tenant, conversation_id, dedupe_key, type, body) values ({key.Shard(PostgresFixture.ShardCount)}, 'acme', '{key.ConversationId}', 'low', 't', '\\x00'::bytea) returning id",
            slow, transaction))
        {
            var lowId = (long)(await insert.ExecuteScalarAsync())!;
            await fixture.Store.AppendAsync(key, [Message("high")], CancellationToken.None);
            var visible = await fixture.Store.ReadPendingAsync(key, 10, CancellationToken.None);
            Assert.Equal(["high"], visible.Select(m => m.DedupeKey));
            Assert.True(visible[0].Sequence > lowId);

            var snapshot = (await fixture.Store.ActivateAsync(key, 1, CancellationToken.None))!;
            var first = await fixture.Store.CommitTurnAsync(new TurnCommit(key, 1, snapshot.Version, null, [visible[0].Sequence], []), CancellationToken.None);
            Assert.Equal(CommitStatus.Committed, first.Status);
            await transaction.CommitAsync();

            var late = await fixture.Store.ReadPendingAsync(key, 10, CancellationToken.None);
            Assert.Equal([lowId], late.Select(m => m.Sequence));
            Assert.Contains(key, await fixture.Store.FindPendingInboxAsync(null, 1000, CancellationToken.None));
        }
    }

    [Fact]
    public async Task Commit_returns_outbox_ids_in_action_order()
    {
        var key = NewKey();
        var snapshot = (await fixture.Store.ActivateAsync(key, 1, CancellationToken.None))!;
        var actions = Enumerable.Range(0, 20).Select(i => new NewOutboxMessage("k" + i, new byte[] { (byte)i })).ToArray();
        var outcome = await fixture.Store.CommitTurnAsync(new TurnCommit(key, 1, snapshot.Version, null, [], actions), CancellationToken.None);
        Assert.Equal(CommitStatus.Committed, outcome.Status);
        var outbox = await fixture.Store.ReadOutboxAsync(key, CancellationToken.None);
        Assert.Equal(outcome.OutboxIds, outbox.Select(m => m.Id));
        Assert.Equal(actions.Select(a => a.Kind), outbox.Select(m => m.Kind));
    }

    [Fact]
    public async Task Retention_deletes_only_old_processed_and_sent_rows()
    {
        var key = NewKey();
        await fixture.Store.AppendAsync(key, [Message("old"), Message("pending")], CancellationToken.None);
        var pending = await fixture.Store.ReadPendingAsync(key, 10, CancellationToken.None);
        var snapshot = (await fixture.Store.ActivateAsync(key, 1, CancellationToken.None))!;
        var outcome = await fixture.Store.CommitTurnAsync(new TurnCommit(key, 1, snapshot.Version, null, [pending[0].Sequence],
            [new NewOutboxMessage("sent", new byte[] { 1 }), new NewOutboxMessage("parked", new byte[] { 2 })]), CancellationToken.None);
        await fixture.Store.MarkOutboxAsync(key, outcome.OutboxIds[0], OutboxMark.Sent, CancellationToken.None);
        await fixture.Store.MarkOutboxAsync(key, outcome.OutboxIds[1], OutboxMark.Parked("no"), CancellationToken.None);
        await fixture.ExecuteAsync($"update inbox set processed_at = processed_at - interval '8 days' where conversation_id = '{key.ConversationId}' and processed_at is not null");
        await fixture.ExecuteAsync($"update outbox set finished_at = finished_at - interval '8 days' where conversation_id = '{key.ConversationId}'");

        await fixture.Store.DeleteExpiredAsync(TimeSpan.FromDays(7), 1, CancellationToken.None);

        Assert.Equal(["pending"], (await fixture.Store.ReadPendingAsync(key, 10, CancellationToken.None)).Select(m => m.DedupeKey));
        Assert.Equal(1, await fixture.ScalarAsync($"select count(*) from inbox where conversation_id = '{key.ConversationId}'"));
        Assert.Equal(["parked"], (await fixture.Store.ReadParkedAsync(100, CancellationToken.None)).Where(p => p.Key == key).Select(p => p.Message.Kind));
        // Past the window the dedupe key is free again.
        Assert.Equal(1, (await fixture.Store.AppendAsync(key, [Message("old")], CancellationToken.None)).Appended);
    }

    [Fact]
    public async Task Group_commit_counts_each_callers_rows_and_duplicates_exactly()
    {
        await using var batcher = new Conversations.Storage.Postgres.InboxAppendBatcher(fixture.DataSource, PostgresFixture.ShardCount, maxBatch: 64, writers: 2);
        var keys = Enumerable.Range(0, 10).Select(_ => NewKey()).ToList();
        // 400 callers at once: each conversation gets keys 0..19 twice (a platform retrying), in two-event requests.
        var results = await Task.WhenAll(Enumerable.Range(0, 400).Select(i => Task.Run(async () =>
        {
            var key = keys[i % 10];
            var n = (i / 10) % 20;
            return await batcher.AppendAsync(key, [Message($"k{n}"), Message($"k{n}-b")], notify: true, CancellationToken.None);
        })));

        Assert.Equal(10 * 20 * 2, results.Sum(r => r.Appended));
        Assert.Equal(10 * 20 * 2, results.Sum(r => r.Duplicates));
        foreach (var key in keys)
        {
            var pending = await fixture.Store.ReadPendingAsync(key, 100, CancellationToken.None);
            Assert.Equal(40, pending.Count);
            // The two events of one request keep their order.
            for (var n = 0; n < 20; n++)
                Assert.True(pending.Single(p => p.DedupeKey == $"k{n}").Sequence < pending.Single(p => p.DedupeKey == $"k{n}-b").Sequence);
        }
    }

    [Fact]
    public async Task Connections_carry_statement_and_idle_in_transaction_timeouts()
    {
        Assert.Equal(30_000, await fixture.ScalarAsync("select setting::bigint from pg_settings where name = 'statement_timeout'"));
        Assert.Equal(60_000, await fixture.ScalarAsync("select setting::bigint from pg_settings where name = 'idle_in_transaction_session_timeout'"));
    }
}
