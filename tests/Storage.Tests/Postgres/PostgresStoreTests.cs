using System.Collections.Concurrent;
using System.Text;
using Conversations.Storage;
using Conversations.Storage.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;

namespace Conversations.Storage.Tests.Postgres;

/// <summary>
/// Behaviour specific to the Postgres store (the shared contract runs in PostgresConversationStoreTests):
/// group commit, commit order across concurrent writers, retention. The tests of this class run one at a
/// time on one database; those that look at every conversation empty it first.
/// </summary>
public sealed class PostgresStoreTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(15);

    private PostgresConversationStore Store => fixture.Store;

    private static ConversationKey NewKey(string tenant = "acme") => new(tenant, "c-" + Guid.NewGuid().ToString("N"));
    private static NewInboxMessage Message(string dedupe) => new(dedupe, "test", Encoding.UTF8.GetBytes("body " + dedupe));

    private async Task<List<string>> StoredKeysAsync(ConversationKey key) =>
        (await Store.ReadAfterAsync(key, long.MinValue, 10_000, None)).Select(e => e.DedupeKey).ToList();

    private async Task WaitForLockWaitAsync(string queryPrefix)
    {
        var deadline = DateTime.UtcNow + Settle;
        while (await fixture.ScalarAsync(
                   $"select count(*) from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock' and query like '{queryPrefix}%'") == 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no session of this database waits on a lock in '{queryPrefix}...'");
            await Task.Delay(20);
        }
    }

    // ---- group commit -------------------------------------------------------------------------

    [Fact]
    public async Task Group_commit_counts_each_callers_rows_and_duplicates_exactly()
    {
        await using var batcher = new InboxAppendBatcher(fixture.DataSource, maxBatch: 64, writers: 2);
        var keys = Enumerable.Range(0, 10).Select(_ => NewKey()).ToList();
        // 400 callers at once: each conversation gets keys 0..19 twice (a platform retrying), in two-event requests.
        var results = await Task.WhenAll(Enumerable.Range(0, 400).Select(i => Task.Run(async () =>
        {
            var key = keys[i % 10];
            var n = (i / 10) % 20;
            return (Key: key, N: n, Result: await batcher.AppendAsync(key, [Message($"k{n}"), Message($"k{n}-b")], None));
        })));

        Assert.Equal(10 * 20 * 2, results.Sum(r => r.Result.Appended));
        Assert.Equal(10 * 20 * 2, results.Sum(r => r.Result.Duplicates));
        foreach (var key in keys)
        {
            var events = await Store.ReadAfterAsync(key, 0, 100, None);
            Assert.Equal(40, events.Count);
            for (var i = 1; i < events.Count; i++) Assert.True(events[i - 1].Sequence < events[i].Sequence);
            var sequence = events.ToDictionary(e => e.DedupeKey, e => e.Sequence);
            for (var n = 0; n < 20; n++)
            {
                // The two events of one request keep their order; one of the two identical requests
                // stored both, the other was told both were duplicates.
                Assert.True(sequence[$"k{n}"] < sequence[$"k{n}-b"]);
                var pair = results.Where(r => r.Key == key && r.N == n).Select(r => r.Result).OrderByDescending(r => r.Appended).ToList();
                Assert.Equal([new AppendResult(2, 0, sequence[$"k{n}-b"]), new AppendResult(0, 2, 0)], pair);
            }
        }
    }

    [Fact]
    public async Task Same_dedupe_key_from_four_gateways_at_once_is_stored_once()
    {
        // Four batchers are four gateways: their batches race in the database, not in one process.
        var batchers = Enumerable.Range(0, 4).Select(_ => new InboxAppendBatcher(fixture.DataSource, maxBatch: 1, writers: 4)).ToList();
        try
        {
            for (var round = 0; round < 10; round++)
            {
                var key = NewKey();
                var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                var appends = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
                {
                    await start.Task;
                    return await batchers[i % 4].AppendAsync(key, [Message("same")], None);
                })).ToList();
                start.SetResult();
                var results = await Task.WhenAll(appends);

                var winner = Assert.Single(results, r => r.Appended == 1);
                Assert.Equal(15, results.Count(r => r == new AppendResult(0, 1, 0)));
                var stored = Assert.Single(await Store.ReadAfterAsync(key, 0, 100, None));
                Assert.Equal(("same", winner.LastSequence), (stored.DedupeKey, stored.Sequence));
                Assert.Equal(1, await fixture.ScalarAsync($"select count(*) from inbox where conversation_id = '{key.ConversationId}'"));
                // The next event comes after, whatever sequences the dropped copies used up.
                var next = await Store.AppendAsync(key, [Message("next")], None);
                Assert.True(next.LastSequence > winner.LastSequence);
            }
        }
        finally
        {
            foreach (var batcher in batchers) await batcher.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_failed_batch_fails_every_caller_in_it_and_commits_none_of_them()
    {
        await using var batcher = new InboxAppendBatcher(fixture.DataSource, maxBatch: 64, writers: 1);
        var blocked = NewKey();
        var poisoned = NewKey();
        var innocent = NewKey();
        await batcher.AppendAsync(blocked, [Message("first")], None);

        // Hold the conversation's head row so that the only writer waits inside its next batch...
        await using var holder = await fixture.DataSource.OpenConnectionAsync();
        await using var transaction = await holder.BeginTransactionAsync();
        await using (var hold = new NpgsqlCommand($"update inbox_head set last_seq = last_seq where conversation_id = '{blocked.ConversationId}'", holder, transaction))
            Assert.Equal(1, await hold.ExecuteNonQueryAsync());
        var waiting = batcher.AppendAsync(blocked, [Message("second")], None).AsTask();
        await WaitForLockWaitAsync("with m as");

        // ...while two more requests queue up and then go out together in one batch. A NUL byte is
        // not valid text for PostgreSQL, so the statement fails.
        var bad = batcher.AppendAsync(poisoned, [Message("ok"), Message("bad\0key")], None).AsTask();
        var good = batcher.AppendAsync(innocent, [Message("fine")], None).AsTask();
        await transaction.CommitAsync();

        Assert.Equal(new AppendResult(1, 0, 2), await waiting);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => bad);
        await Assert.ThrowsAnyAsync<NpgsqlException>(() => good);
        Assert.Empty(await Store.ReadAfterAsync(poisoned, 0, 10, None));
        Assert.Empty(await Store.ReadAfterAsync(innocent, 0, 10, None));

        // The batcher goes on; the platform's retry is stored, numbered from 1 (the failed batch took no sequence).
        Assert.Equal(new AppendResult(1, 0, 1), await batcher.AppendAsync(innocent, [Message("fine")], None));
        Assert.Equal(new AppendResult(1, 0, 1), await batcher.AppendAsync(poisoned, [Message("ok")], None));
    }

    [Fact]
    public async Task A_disposed_batcher_refuses_appends()
    {
        var batcher = new InboxAppendBatcher(fixture.DataSource, maxBatch: 8, writers: 2);
        var key = NewKey();
        Assert.Equal(new AppendResult(1, 0, 1), await batcher.AppendAsync(key, [Message("a")], None));

        await batcher.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(async () => await batcher.AppendAsync(key, [Message("b")], None));
        Assert.Equal(["a"], await StoredKeysAsync(key));
    }

    // ---- commit order -------------------------------------------------------------------------

    [Fact]
    public async Task An_append_waits_for_an_earlier_uncommitted_batch_and_is_numbered_after_it()
    {
        var key = NewKey();
        Assert.Equal(new AppendResult(1, 0, 1), await Store.AppendAsync(key, [Message("first")], None));

        // Another gateway's batch, mid-commit: it took sequence 2 under the head row lock and has not committed.
        await using var slow = await fixture.DataSource.OpenConnectionAsync();
        await using var transaction = await slow.BeginTransactionAsync();
        await using (var take = new NpgsqlCommand(
            $"""
            with h as (update inbox_head set last_seq = last_seq + 1 where tenant = 'acme' and conversation_id = '{key.ConversationId}' returning last_seq)
            insert into inbox (tenant, conversation_id, seq, dedupe_key, type, body) select 'acme', '{key.ConversationId}', last_seq, 'slow', 'test', '\x00'::bytea from h
            returning seq
            """, slow, transaction))
            Assert.Equal(2L, await take.ExecuteScalarAsync());

        var fast = Store.AppendAsync(key, [Message("fast")], None).AsTask();
        await WaitForLockWaitAsync("with m as");
        Assert.False(fast.IsCompleted);
        Assert.Equal([1L], (await Store.ReadAfterAsync(key, 0, 10, None)).Select(e => e.Sequence));

        await transaction.CommitAsync();

        Assert.Equal(new AppendResult(1, 0, 3), await fast);
        Assert.Equal([(1L, "first"), (2L, "slow"), (3L, "fast")], (await Store.ReadAfterAsync(key, 0, 10, None)).Select(e => (e.Sequence, e.DedupeKey)));
    }

    [Fact]
    public async Task Readers_never_find_a_late_commit_below_what_they_read_with_three_gateways_appending()
    {
        // Commits out of sequence order show up only when a read falls between them: a few rounds.
        for (var round = 0; round < 5; round++) await ThreeGatewaysAppendWhileReadersFollowAsync();
    }

    private async Task ThreeGatewaysAppendWhileReadersFollowAsync()
    {
        var batchers = Enumerable.Range(0, 3).Select(_ => new InboxAppendBatcher(fixture.DataSource, maxBatch: 2, writers: 8)).ToList();
        var stores = batchers.Select(b => new PostgresConversationStore(fixture.DataSource, b)).ToList();
        var keys = Enumerable.Range(0, 3).Select(_ => NewKey()).ToList();
        const int writers = 24, appendsPerWriter = 30;
        var appended = new ConcurrentDictionary<string, byte>();
        var totals = new ConcurrentBag<AppendResult>();
        using var stop = new CancellationTokenSource();
        try
        {
            // One reader per conversation: a cursor reader (what the grain does) and a full read whose
            // every result must extend the previous one below the highest sequence it had seen.
            var started = keys.Select(_ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).ToList();
            var readers = keys.Select((key, k) => Task.Run(async () =>
            {
                long cursor = 0;
                var cursorRead = new List<string>();
                IReadOnlyList<InboxMessage> previous = [];
                var reads = 0;
                var finished = false;
                try
                {
                    while (!finished)
                    {
                        finished = stop.IsCancellationRequested;
                        foreach (var e in await Store.ReadAfterAsync(key, cursor, 1000, None))
                        {
                            Assert.True(e.Sequence > cursor);
                            cursor = e.Sequence;
                            cursorRead.Add(e.DedupeKey);
                        }
                        var all = await Store.ReadAfterAsync(key, 0, 100_000, None);
                        var seenUpTo = previous.Count == 0 ? 0 : previous[^1].Sequence;
                        Assert.Equal(previous.Select(e => e.Sequence), all.TakeWhile(e => e.Sequence <= seenUpTo).Select(e => e.Sequence));
                        previous = all;
                        reads++;
                        started[k].TrySetResult();
                    }
                }
                finally
                {
                    started[k].TrySetResult();
                }
                return (Key: key, CursorRead: cursorRead, Reads: reads);
            })).ToList();
            await Task.WhenAll(started.Select(s => s.Task)).WaitAsync(Settle);

            try
            {
                // Writers w, w + 8 and w + 16 send the same events (a platform retrying to other gateways).
                await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
                {
                    for (var a = 0; a < appendsPerWriter; a++)
                    {
                        var key = keys[a % keys.Count];
                        var stream = w % 8;
                        List<NewInboxMessage> messages = [Message($"s{stream}-{a}-x"), Message($"s{stream}-{a}-y")];
                        var result = await stores[w % stores.Count].AppendAsync(key, messages, None);
                        Assert.Equal(2, result.Appended + result.Duplicates);
                        totals.Add(result);
                        foreach (var m in messages) appended.TryAdd($"{key.ConversationId}/{m.DedupeKey}", 0);
                    }
                })));
            }
            finally
            {
                await stop.CancelAsync();
            }

            var read = await Task.WhenAll(readers);
            Assert.Equal(8 * appendsPerWriter * 2, appended.Count);
            Assert.Equal(appended.Count, totals.Sum(r => r.Appended));
            Assert.Equal(2 * appended.Count, totals.Sum(r => r.Duplicates));
            Assert.Equal(appended.Keys.Order(StringComparer.Ordinal),
                read.SelectMany(r => r.CursorRead.Select(k => $"{r.Key.ConversationId}/{k}")).Order(StringComparer.Ordinal));
            Assert.All(read, r => Assert.True(r.Reads >= 2));
            foreach (var key in keys)
            {
                var events = await Store.ReadAfterAsync(key, 0, 100_000, None);
                for (var i = 1; i < events.Count; i++) Assert.True(events[i - 1].Sequence < events[i].Sequence);
                // The two events of one request are numbered in order.
                var sequence = events.ToDictionary(e => e.DedupeKey, e => e.Sequence);
                foreach (var x in sequence.Keys.Where(k => k.EndsWith("-x", StringComparison.Ordinal)))
                    Assert.True(sequence[x] < sequence[x[..^2] + "-y"]);
            }
        }
        finally
        {
            foreach (var batcher in batchers) await batcher.DisposeAsync();
        }
    }

    [Fact]
    public async Task Without_duplicates_concurrent_appends_leave_no_gaps()
    {
        var key = NewKey();
        var results = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            Task.Run(async () => await Store.AppendAsync(key, [Message($"e{i}-1"), Message($"e{i}-2"), Message($"e{i}-3")], None))));

        Assert.All(results, r => Assert.Equal((3, 0), (r.Appended, r.Duplicates)));
        Assert.Equal(Enumerable.Range(1, 600).Select(i => (long)i), (await Store.ReadAfterAsync(key, 0, 1000, None)).Select(e => e.Sequence));
        Assert.Equal(Enumerable.Range(1, 200).Select(i => 3L * i), results.Select(r => r.LastSequence).Order());
        Assert.Equal(600, await fixture.ScalarAsync($"select last_seq from inbox_head where conversation_id = '{key.ConversationId}'"));
    }

    // ---- times, re-drive ----------------------------------------------------------------------

    [Fact]
    public async Task Events_are_stamped_with_the_database_clock()
    {
        var key = NewKey();
        var before = DateTimeOffset.UtcNow;
        await Store.AppendAsync(key, [Message("a")], None);
        var after = DateTimeOffset.UtcNow;

        var stored = Assert.Single(await Store.ReadAfterAsync(key, 0, 10, None));
        // Same host: the database clock is the test's, give or take a little.
        Assert.InRange(stored.ReceivedAt, before.AddSeconds(-5), after.AddSeconds(5));
    }

    [Fact]
    public async Task Redrive_threshold_compares_the_oldest_unconsumed_event_with_the_database_clock()
    {
        await fixture.TruncateAsync();
        var young = NewKey();
        var old = NewKey();
        var oldButConsumed = NewKey();
        await Store.AppendAsync(young, [Message("a")], None);
        await Store.AppendAsync(old, [Message("a"), Message("b")], None);
        await Store.AppendAsync(oldButConsumed, [Message("a")], None);
        await fixture.ExecuteAsync($"update inbox set received_at = received_at - interval '10 minutes' where conversation_id in ('{old.ConversationId}', '{oldButConsumed.ConversationId}')");
        await fixture.ExecuteAsync($"update inbox set received_at = received_at - interval '1 minute' where conversation_id = '{old.ConversationId}' and dedupe_key = 'a'");
        await Store.MarkConsumedAsync(oldButConsumed, 1, None);

        Assert.Equal([old], await Store.FindUnconsumedAsync(TimeSpan.FromMinutes(5), 100, None));
        Assert.Equal([old, young], await Store.FindUnconsumedAsync(TimeSpan.Zero, 100, None));
        Assert.Empty(await Store.FindUnconsumedAsync(TimeSpan.FromMinutes(20), 100, None));

        // Past its 11-minute-old first event, the conversation is as old as its second (10 minutes).
        await Store.MarkConsumedAsync(old, 1, None);
        Assert.Equal([old], await Store.FindUnconsumedAsync(TimeSpan.FromMinutes(5), 100, None));
        Assert.Empty(await Store.FindUnconsumedAsync(TimeSpan.FromSeconds(630), 100, None));
    }

    // ---- retention ----------------------------------------------------------------------------

    [Fact]
    public async Task Retention_deletes_only_consumed_rows_older_than_the_window()
    {
        await fixture.TruncateAsync();
        var key = NewKey();
        var recent = NewKey();
        var emptied = NewKey();
        await Store.AppendAsync(key, [Message("a"), Message("b"), Message("c"), Message("d")], None);
        await Store.MarkConsumedAsync(key, 3, None);
        await Store.AppendAsync(recent, [Message("x")], None);
        await Store.MarkConsumedAsync(recent, 1, None);
        await Store.AppendAsync(emptied, [Message("g")], None);
        await Store.MarkConsumedAsync(emptied, 1, None);
        // a, b and g were consumed 8 days ago, c just now, x 6 days ago; d is 8 days old but unconsumed.
        await fixture.ExecuteAsync($"update inbox set consumed_at = consumed_at - interval '8 days' where (conversation_id = '{key.ConversationId}' and dedupe_key in ('a', 'b')) or conversation_id = '{emptied.ConversationId}'");
        await fixture.ExecuteAsync($"update inbox set consumed_at = consumed_at - interval '6 days' where conversation_id = '{recent.ConversationId}'");
        await fixture.ExecuteAsync($"update inbox set received_at = received_at - interval '8 days' where conversation_id = '{key.ConversationId}' and dedupe_key = 'd'");

        Assert.Equal(3, await Store.DeleteExpiredAsync(TimeSpan.FromDays(7), 1, None));

        Assert.Equal(["c", "d"], await StoredKeysAsync(key));
        Assert.Equal(["x"], await StoredKeysAsync(recent));
        Assert.Empty(await StoredKeysAsync(emptied));
        Assert.Equal([(4L, "d")], (await Store.ReadAfterAsync(key, 3, 10, None)).Select(e => (e.Sequence, e.DedupeKey)));
        Assert.Equal([key], await Store.FindUnconsumedAsync(TimeSpan.Zero, 100, None));
        Assert.Equal(0, await Store.DeleteExpiredAsync(TimeSpan.FromDays(7), 1, None));

        // Past the window the dedupe key is free again; sequences go on from the head, never restart.
        Assert.Equal(new AppendResult(2, 1, 6), await Store.AppendAsync(key, [Message("a"), Message("c"), Message("e")], None));
        Assert.Equal(new AppendResult(1, 0, 2), await Store.AppendAsync(emptied, [Message("g")], None));
        Assert.Equal(new AppendResult(0, 1, 0), await Store.AppendAsync(recent, [Message("x")], None));
    }

    [Fact]
    public async Task Retention_deletes_in_batches_until_nothing_is_left()
    {
        await fixture.TruncateAsync();
        var key = NewKey();
        await Store.AppendAsync(key, Enumerable.Range(0, 25).Select(i => Message($"m{i}")).ToList(), None);
        await Store.MarkConsumedAsync(key, 25, None);
        await fixture.ExecuteAsync($"update inbox set consumed_at = consumed_at - interval '8 days' where conversation_id = '{key.ConversationId}' and seq <= 23");

        Assert.Equal(23, await Store.DeleteExpiredAsync(TimeSpan.FromDays(7), 5, None));
        Assert.Equal(["m23", "m24"], await StoredKeysAsync(key));
    }

    [Fact]
    public async Task A_second_concurrent_retention_sweep_skips_and_the_lock_is_released_afterwards()
    {
        await fixture.TruncateAsync();
        var key = NewKey();
        await Store.AppendAsync(key, [Message("old")], None);
        await Store.MarkConsumedAsync(key, 1, None);
        await fixture.ExecuteAsync($"update inbox set consumed_at = consumed_at - interval '8 days' where conversation_id = '{key.ConversationId}'");

        // Stall the first sweep inside its delete (it holds the sweep lock by then).
        await using var blocker = await fixture.DataSource.OpenConnectionAsync();
        await using var transaction = await blocker.BeginTransactionAsync();
        await using (var lockInbox = new NpgsqlCommand("set local idle_in_transaction_session_timeout = 0; lock table inbox in access exclusive mode", blocker, transaction))
            await lockInbox.ExecuteNonQueryAsync();
        var first = Store.DeleteExpiredAsync(TimeSpan.FromDays(7), 100, None);
        await WaitForLockWaitAsync("delete from inbox");

        Assert.Null(await Store.DeleteExpiredAsync(TimeSpan.FromDays(7), 100, None));
        Assert.False(first.IsCompleted);

        await transaction.RollbackAsync();
        Assert.Equal(1, await first);
        Assert.Equal(0, await Store.DeleteExpiredAsync(TimeSpan.FromDays(7), 100, None));
        Assert.Empty(await StoredKeysAsync(key));
    }

    [Fact]
    public async Task Retention_service_sweeps_every_interval_with_the_dedupe_window()
    {
        await fixture.TruncateAsync();
        var key = NewKey();
        await Store.AppendAsync(key, [Message("old"), Message("kept")], None);
        await Store.MarkConsumedAsync(key, 2, None);
        await fixture.ExecuteAsync($"update inbox set consumed_at = consumed_at - interval '3 days' where conversation_id = '{key.ConversationId}' and dedupe_key = 'old'");
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var options = Options.Create(new PostgresStoreOptions { DedupeWindow = TimeSpan.FromDays(2), RetentionInterval = TimeSpan.FromMinutes(1) });
        using var retention = new PostgresRetention(Store, options, clock, NullLogger<PostgresRetention>.Instance);

        await retention.StartAsync(None);
        try
        {
            // Nothing happens before the first interval.
            await Task.Delay(200);
            Assert.Equal(["old", "kept"], await StoredKeysAsync(key));

            clock.Advance(TimeSpan.FromMinutes(1));
            var deadline = DateTime.UtcNow + Settle;
            while ((await StoredKeysAsync(key)).Count > 1 && DateTime.UtcNow < deadline) await Task.Delay(20);
            Assert.Equal(["kept"], await StoredKeysAsync(key));
        }
        finally
        {
            await retention.StopAsync(None);
        }
    }

    // ---- connections --------------------------------------------------------------------------

    [Fact]
    public async Task Connections_carry_statement_and_idle_in_transaction_timeouts()
    {
        Assert.Equal(30_000, await fixture.ScalarAsync("select setting::bigint from pg_settings where name = 'statement_timeout'"));
        Assert.Equal(60_000, await fixture.ScalarAsync("select setting::bigint from pg_settings where name = 'idle_in_transaction_session_timeout'"));
    }
}
