using System.Collections.Concurrent;
using System.Text;
using Conversations.Storage;

namespace Conversations.Storage.Tests.Store;

/// <summary>
/// The behaviour every <see cref="IConversationStore"/> must have. One subclass per store; each test
/// gets a fresh, empty store from <see cref="CreateStoreAsync"/>.
/// </summary>
public abstract class ConversationStoreContract
{
    protected abstract Task<IConversationStore> CreateStoreAsync();

    /// <summary>
    /// Lets the store's clock move on a little, so that events appended before and after have
    /// different receive times (the Memory store runs on a fake clock; PostgreSQL's moves by itself).
    /// </summary>
    protected abstract Task TickAsync();

    private static readonly CancellationToken None = CancellationToken.None;
    private static int _unique;

    protected static ConversationKey NewKey(string tenant = "acme") => new(tenant, $"c-{Interlocked.Increment(ref _unique)}-{Guid.NewGuid():N}");

    private static NewInboxMessage Event(string dedupe, string body = "{}") => new(dedupe, "test.event", Encoding.UTF8.GetBytes(body));

    private static OutboxMessage Action(long id, string kind, string payload = "{}", int attempts = 3, string? error = "HTTP 403") =>
        new(id, kind, Encoding.UTF8.GetBytes(payload), OutboxStatus.Pending, attempts, DateTimeOffset.UtcNow, error);

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    // ---- append, sequences, read --------------------------------------------------------------

    [Fact]
    public async Task Append_numbers_events_one_to_n_in_order_and_reads_them_back()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();

        var first = await store.AppendAsync(key, [Event("a", "1"), Event("b", "2")], None);
        var second = await store.AppendAsync(key, [Event("c", "3")], None);

        Assert.Equal(new AppendResult(2, 0, 2), first);
        Assert.Equal(new AppendResult(1, 0, 3), second);
        var events = await store.ReadAfterAsync(key, 0, 10, None);
        Assert.Equal([1L, 2L, 3L], events.Select(e => e.Sequence));
        Assert.Equal(["a", "b", "c"], events.Select(e => e.DedupeKey));
        Assert.Equal(["1", "2", "3"], events.Select(e => Text(e.Body)));
        Assert.All(events, e => Assert.Equal("test.event", e.Type));
    }

    [Fact]
    public async Task Sequences_are_independent_per_conversation_and_per_tenant()
    {
        var store = await CreateStoreAsync();
        var acme = NewKey("acme");
        var other = NewKey("acme");
        var globex = new ConversationKey("globex", acme.ConversationId);

        await store.AppendAsync(acme, [Event("a1"), Event("a2"), Event("a3")], None);
        var otherResult = await store.AppendAsync(other, [Event("o1")], None);
        var globexResult = await store.AppendAsync(globex, [Event("a1"), Event("g2")], None);
        var acmeAgain = await store.AppendAsync(acme, [Event("a4")], None);

        Assert.Equal(new AppendResult(1, 0, 1), otherResult);
        Assert.Equal(new AppendResult(2, 0, 2), globexResult);
        Assert.Equal(new AppendResult(1, 0, 4), acmeAgain);
        Assert.Equal([(1L, "a1"), (2L, "a2"), (3L, "a3"), (4L, "a4")], (await store.ReadAfterAsync(acme, 0, 10, None)).Select(e => (e.Sequence, e.DedupeKey)));
        Assert.Equal([(1L, "o1")], (await store.ReadAfterAsync(other, 0, 10, None)).Select(e => (e.Sequence, e.DedupeKey)));
        Assert.Equal([(1L, "a1"), (2L, "g2")], (await store.ReadAfterAsync(globex, 0, 10, None)).Select(e => (e.Sequence, e.DedupeKey)));
    }

    [Fact]
    public async Task Read_after_starts_above_the_given_sequence_and_honours_the_maximum()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.AppendAsync(key, [Event("a"), Event("b"), Event("c"), Event("d"), Event("e")], None);

        Assert.Equal(["a", "b"], (await store.ReadAfterAsync(key, 0, 2, None)).Select(e => e.DedupeKey));
        Assert.Equal(["c", "d"], (await store.ReadAfterAsync(key, 2, 2, None)).Select(e => e.DedupeKey));
        Assert.Equal(["e"], (await store.ReadAfterAsync(key, 4, 2, None)).Select(e => e.DedupeKey));
        Assert.Empty(await store.ReadAfterAsync(key, 5, 2, None));
        Assert.Empty(await store.ReadAfterAsync(key, 0, 0, None));
        Assert.Empty(await store.ReadAfterAsync(NewKey(), 0, 10, None));
    }

    [Fact]
    public async Task Appending_nothing_appends_nothing()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();

        Assert.Equal(new AppendResult(0, 0, 0), await store.AppendAsync(key, [], None));
        Assert.Equal(new AppendResult(1, 0, 1), await store.AppendAsync(key, [Event("a")], None));
    }

    [Fact]
    public async Task Bodies_round_trip_byte_for_byte()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        byte[] body = [0x00, 0xFF, 0x7F, 0x80, 0x0A, 0x00];

        await store.AppendAsync(key, [new NewInboxMessage("bin", "binary.event", body)], None);

        var stored = Assert.Single(await store.ReadAfterAsync(key, 0, 10, None));
        Assert.Equal(body, stored.Body.ToArray());
        Assert.Equal("binary.event", stored.Type);
    }

    [Fact]
    public async Task The_webhooks_trace_context_is_kept_with_each_event()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        const string traceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

        await store.AppendAsync(key, [new NewInboxMessage("traced", "t", new byte[] { 1 }, traceParent), new NewInboxMessage("untraced", "t", new byte[] { 2 })], None);

        var stored = await store.ReadAfterAsync(key, 0, 10, None);
        Assert.Equal([traceParent, null], stored.Select(e => e.TraceParent));
    }

    [Fact]
    public async Task The_inbox_lag_is_the_age_of_the_oldest_unconsumed_event()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.AppendAsync(key, [new NewInboxMessage("lag-1", "t", new byte[] { 1 })], None);
        await TickAsync();

        var lag = await store.OldestUnconsumedAgeAsync(None);
        Assert.NotNull(lag);
        Assert.True(lag > TimeSpan.Zero, $"lag {lag}");

        await store.MarkConsumedAsync(key, 1, None);
        var after = await store.OldestUnconsumedAgeAsync(None);
        Assert.True(after is null || after < lag, "the consumed event still counted");
    }

    // ---- dedupe -------------------------------------------------------------------------------

    [Fact]
    public async Task Repeated_dedupe_key_within_one_call_is_dropped_and_leaves_no_gap()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();

        var result = await store.AppendAsync(key, [Event("a", "1"), Event("b", "2"), Event("a", "3"), Event("c", "4")], None);

        Assert.Equal(new AppendResult(3, 1, 3), result);
        Assert.Equal([(1L, "a", "1"), (2L, "b", "2"), (3L, "c", "4")],
            (await store.ReadAfterAsync(key, 0, 10, None)).Select(e => (e.Sequence, e.DedupeKey, Text(e.Body))));
    }

    [Fact]
    public async Task Repeated_dedupe_key_across_calls_is_accepted_and_dropped()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.AppendAsync(key, [Event("a", "first")], None);

        var again = await store.AppendAsync(key, [Event("a", "second"), Event("b", "other")], None);
        var onlyRepeats = await store.AppendAsync(key, [Event("a"), Event("b")], None);

        Assert.Equal(new AppendResult(1, 1, 2), again);
        Assert.Equal(new AppendResult(0, 2, 0), onlyRepeats);
        Assert.Equal([(1L, "first"), (2L, "other")], (await store.ReadAfterAsync(key, 0, 10, None)).Select(e => (e.Sequence, Text(e.Body))));
    }

    [Fact]
    public async Task Dedupe_key_still_drops_after_the_event_was_consumed()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.AppendAsync(key, [Event("a")], None);
        await store.MarkConsumedAsync(key, 1, None);

        var again = await store.AppendAsync(key, [Event("a"), Event("b")], None);

        Assert.Equal(new AppendResult(1, 1, 2), again);
        Assert.Equal([(2L, "b")], (await store.ReadAfterAsync(key, 1, 10, None)).Select(e => (e.Sequence, e.DedupeKey)));
    }

    [Fact]
    public async Task Dedupe_keys_are_per_conversation_and_per_tenant()
    {
        var store = await CreateStoreAsync();
        var first = NewKey();
        var second = NewKey();
        var otherTenant = new ConversationKey("globex", first.ConversationId);
        await store.AppendAsync(first, [Event("same")], None);

        Assert.Equal(new AppendResult(1, 0, 1), await store.AppendAsync(second, [Event("same")], None));
        Assert.Equal(new AppendResult(1, 0, 1), await store.AppendAsync(otherTenant, [Event("same")], None));
    }

    [Fact]
    public async Task Same_dedupe_key_appended_concurrently_from_16_tasks_is_stored_once()
    {
        var store = await CreateStoreAsync();
        for (var round = 0; round < 5; round++)
        {
            var key = NewKey();
            var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

            var appends = Enumerable.Range(0, 16).Select(i => Task.Run(async () =>
            {
                await start.Task;
                return await store.AppendAsync(key, [Event("same", $"from {i}")], None);
            })).ToList();
            start.SetResult();
            var results = await Task.WhenAll(appends);

            var winner = Assert.Single(results, r => r.Appended == 1);
            Assert.Equal(15, results.Count(r => r == new AppendResult(0, 1, 0)));
            var stored = Assert.Single(await store.ReadAfterAsync(key, 0, 100, None));
            Assert.Equal(("same", winner.LastSequence), (stored.DedupeKey, stored.Sequence));
            Assert.Equal(0, winner.Duplicates);
            Assert.True(winner.LastSequence >= 1);
        }
    }

    // ---- concurrency and commit order ---------------------------------------------------------

    [Fact]
    public async Task Concurrent_appends_to_one_conversation_get_distinct_increasing_sequences_and_lose_nothing()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        const int tasks = 16, appendsPerTask = 20;
        var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

        var appenders = Enumerable.Range(0, tasks).Select(t => Task.Run(async () =>
        {
            await start.Task;
            var mine = new List<(int Append, AppendResult Result)>();
            for (var a = 0; a < appendsPerTask; a++)
                mine.Add((a, await store.AppendAsync(key, [Event($"t{t}-a{a}-x", $"{t}:{a}:x"), Event($"t{t}-a{a}-y", $"{t}:{a}:y")], None)));
            return (Task: t, Appends: mine);
        })).ToList();
        start.SetResult();
        var results = await Task.WhenAll(appenders);

        var events = await store.ReadAfterAsync(key, 0, 10_000, None);
        Assert.Equal(tasks * appendsPerTask * 2, events.Count);
        for (var i = 1; i < events.Count; i++) Assert.True(events[i - 1].Sequence < events[i].Sequence, $"sequence {events[i].Sequence} after {events[i - 1].Sequence}");
        Assert.True(events[0].Sequence >= 1);
        var byKey = events.ToDictionary(e => e.DedupeKey);
        foreach (var (t, appends) in results)
        {
            long previous = 0;
            foreach (var (a, result) in appends)
            {
                var x = byKey[$"t{t}-a{a}-x"];
                var y = byKey[$"t{t}-a{a}-y"];
                Assert.Equal(new AppendResult(2, 0, y.Sequence), result);
                Assert.Equal(($"{t}:{a}:x", $"{t}:{a}:y"), (Text(x.Body), Text(y.Body)));
                // The events of one call keep their order, and one task's later calls come later.
                Assert.True(previous < x.Sequence && x.Sequence < y.Sequence);
                previous = y.Sequence;
            }
        }
    }

    [Fact]
    public async Task A_reader_following_a_busy_conversation_never_finds_an_event_below_what_it_has_read()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        const int writers = 16, appendsPerWriter = 40;
        var appended = new ConcurrentBag<string>();
        using var stop = new CancellationTokenSource();

        // A cursor reader (the grain) and a full reader that checks every read extends the previous one.
        var cursorRead = new List<InboxMessage>();
        var fullReads = 0;
        var firstRead = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var readers = Task.Run(async () =>
        {
            long cursor = 0;
            IReadOnlyList<InboxMessage> previous = [];
            var finished = false;
            try
            {
                while (!finished)
                {
                    finished = stop.IsCancellationRequested;
                    foreach (var e in await store.ReadAfterAsync(key, cursor, 1000, None))
                    {
                        Assert.True(e.Sequence > cursor);
                        cursor = e.Sequence;
                        cursorRead.Add(e);
                    }

                    var all = await store.ReadAfterAsync(key, 0, 100_000, None);
                    var seenUpTo = previous.Count == 0 ? 0 : previous[^1].Sequence;
                    var prefix = all.TakeWhile(e => e.Sequence <= seenUpTo).Select(e => e.Sequence).ToList();
                    Assert.Equal(previous.Select(e => e.Sequence), prefix);
                    previous = all;
                    fullReads++;
                    firstRead.TrySetResult();
                }
            }
            finally
            {
                firstRead.TrySetResult();
            }
        });
        await firstRead.Task.WaitAsync(TimeSpan.FromSeconds(30));

        try
        {
            await Task.WhenAll(Enumerable.Range(0, writers).Select(w => Task.Run(async () =>
            {
                for (var a = 0; a < appendsPerWriter; a++)
                {
                    var dedupe = $"w{w}-{a}";
                    var result = await store.AppendAsync(key, [Event(dedupe)], None);
                    Assert.Equal(1, result.Appended);
                    appended.Add(dedupe);
                }
            })));
        }
        finally
        {
            await stop.CancelAsync();
        }
        await readers;

        Assert.True(fullReads >= 2);
        Assert.Equal(appended.Order(StringComparer.Ordinal), cursorRead.Select(e => e.DedupeKey).Order(StringComparer.Ordinal));
        Assert.Equal(writers * appendsPerWriter, cursorRead.Count);
    }

    // ---- consumed, re-drive, count ------------------------------------------------------------

    [Fact]
    public async Task Consumed_events_leave_the_redrive_and_count()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.AppendAsync(key, [Event("a"), Event("b"), Event("c")], None);

        Assert.Equal(3, await store.CountAfterAsync(key, 0, None));
        Assert.Equal(2, await store.CountAfterAsync(key, 1, None));
        Assert.Equal(0, await store.CountAfterAsync(key, 3, None));
        Assert.Equal([key], await store.FindUnconsumedAsync(TimeSpan.Zero, 100, None));

        await store.MarkConsumedAsync(key, 2, None);
        Assert.Equal([key], await store.FindUnconsumedAsync(TimeSpan.Zero, 100, None));
        Assert.Equal(["c"], (await store.ReadAfterAsync(key, 2, 10, None)).Select(e => e.DedupeKey));
        Assert.Equal(1, await store.CountAfterAsync(key, 2, None));

        await store.MarkConsumedAsync(key, 3, None);
        Assert.Empty(await store.FindUnconsumedAsync(TimeSpan.Zero, 100, None));
        Assert.Equal(0, await store.CountAfterAsync(key, 3, None));

        // New events make it unconsumed again, numbered after the consumed ones.
        Assert.Equal(new AppendResult(1, 0, 4), await store.AppendAsync(key, [Event("d")], None));
        Assert.Equal([key], await store.FindUnconsumedAsync(TimeSpan.Zero, 100, None));
        Assert.Equal([(4L, "d")], (await store.ReadAfterAsync(key, 3, 10, None)).Select(e => (e.Sequence, e.DedupeKey)));
    }

    [Fact]
    public async Task Marking_consumed_is_idempotent_and_harmless_for_unknown_or_past_sequences()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.MarkConsumedAsync(NewKey(), 10, None);
        await store.AppendAsync(key, [Event("a"), Event("b")], None);

        await store.MarkConsumedAsync(key, 0, None);
        Assert.Equal([key], await store.FindUnconsumedAsync(TimeSpan.Zero, 100, None));
        await store.MarkConsumedAsync(key, 1, None);
        await store.MarkConsumedAsync(key, 1, None);
        Assert.Equal([key], await store.FindUnconsumedAsync(TimeSpan.Zero, 100, None));
        await store.MarkConsumedAsync(key, 100, None);
        Assert.Empty(await store.FindUnconsumedAsync(TimeSpan.Zero, 100, None));
        Assert.Equal(0, await store.CountAfterAsync(NewKey(), 0, None));
    }

    [Fact]
    public async Task Redrive_skips_events_younger_than_the_threshold()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.AppendAsync(key, [Event("a")], None);

        Assert.Empty(await store.FindUnconsumedAsync(TimeSpan.FromHours(1), 100, None));
        Assert.Equal([key], await store.FindUnconsumedAsync(TimeSpan.Zero, 100, None));
    }

    [Fact]
    public async Task Redrive_lists_conversations_by_their_oldest_unconsumed_event_up_to_the_maximum()
    {
        var store = await CreateStoreAsync();
        var first = NewKey();
        var second = NewKey();
        var third = NewKey("globex");
        var consumed = NewKey();
        await store.AppendAsync(consumed, [Event("x")], None);
        await TickAsync();
        await store.AppendAsync(first, [Event("a")], None);
        await TickAsync();
        await store.AppendAsync(second, [Event("a")], None);
        await TickAsync();
        await store.AppendAsync(third, [Event("a")], None);
        await TickAsync();
        await store.AppendAsync(first, [Event("b")], None);
        await store.MarkConsumedAsync(consumed, 1, None);

        Assert.Equal([first, second, third], await store.FindUnconsumedAsync(TimeSpan.Zero, 100, None));
        Assert.Equal([first, second], await store.FindUnconsumedAsync(TimeSpan.Zero, 2, None));

        // Once its first event is consumed, the first conversation is only as old as its second.
        await store.MarkConsumedAsync(first, 1, None);
        Assert.Equal([second, third, first], await store.FindUnconsumedAsync(TimeSpan.Zero, 100, None));
    }

    [Fact]
    public async Task Events_carry_their_receive_time_in_order()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.AppendAsync(key, [Event("a")], None);
        await TickAsync();
        await store.AppendAsync(key, [Event("b")], None);

        var events = await store.ReadAfterAsync(key, 0, 10, None);
        Assert.True(events[0].ReceivedAt < events[1].ReceivedAt, $"{events[0].ReceivedAt:O} then {events[1].ReceivedAt:O}");
    }

    // ---- parked actions -----------------------------------------------------------------------

    [Fact]
    public async Task Parked_actions_are_read_per_conversation_oldest_first_and_across_conversations_newest_first()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        var other = NewKey("globex");
        Assert.Empty(await store.ReadParkedAsync(100, None));
        Assert.Empty(await store.ReadParkedAsync(key, None));

        await store.ParkAsync(key, Action(1, "chatwoot.reply", "r1", attempts: 5, error: "HTTP 403 closed thread"), None);
        await TickAsync();
        await store.ParkAsync(other, Action(1, "engage.reply", "e1", attempts: 1, error: null), None);
        await TickAsync();
        await store.ParkAsync(key, Action(2, "chatwoot.note", "r2", attempts: 2, error: "HTTP 400"), None);

        var mine = await store.ReadParkedAsync(key, None);
        Assert.Equal([(1L, "chatwoot.reply", "r1", 5, "HTTP 403 closed thread"), (2L, "chatwoot.note", "r2", 2, "HTTP 400")],
            mine.Select(m => (m.Id, m.Kind, Text(m.Payload), m.Attempts, m.LastError)));
        Assert.All(mine, m => Assert.Equal(OutboxStatus.Parked, m.Status));
        Assert.Equal([(1L, "engage.reply", (string?)null)], (await store.ReadParkedAsync(other, None)).Select(m => (m.Id, m.Kind, m.LastError)));

        var all = await store.ReadParkedAsync(100, None);
        Assert.Equal([(key, 2L), (other, 1L), (key, 1L)], all.Select(p => (p.Key, p.Message.Id)));
        Assert.All(all, p => Assert.Equal(OutboxStatus.Parked, p.Message.Status));
        Assert.Equal([(key, 2L), (other, 1L)], (await store.ReadParkedAsync(2, None)).Select(p => (p.Key, p.Message.Id)));
    }

    [Fact]
    public async Task Parking_the_same_action_twice_keeps_the_first()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();

        await store.ParkAsync(key, Action(7, "reply", "first", attempts: 3, error: "first error"), None);
        await store.ParkAsync(key, Action(7, "reply", "second", attempts: 9, error: "second error"), None);

        var parked = Assert.Single(await store.ReadParkedAsync(key, None));
        Assert.Equal((7L, "first", 3, "first error"), (parked.Id, Text(parked.Payload), parked.Attempts, parked.LastError));
        var all = Assert.Single(await store.ReadParkedAsync(100, None));
        Assert.Equal((key, 7L, "first"), (all.Key, all.Message.Id, Text(all.Message.Payload)));
    }

    [Fact]
    public async Task Removing_a_parked_action_takes_only_it_from_both_reads_and_it_can_be_parked_again()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        var other = NewKey();
        await store.ParkAsync(key, Action(1, "reply", "one"), None);
        await store.ParkAsync(key, Action(2, "reply", "two"), None);
        await store.ParkAsync(other, Action(1, "reply", "other"), None);

        Assert.True(await store.RemoveParkedAsync(key, 1, None));
        Assert.False(await store.RemoveParkedAsync(key, 1, None));
        Assert.False(await store.RemoveParkedAsync(key, 99, None));
        Assert.False(await store.RemoveParkedAsync(NewKey(), 1, None));

        Assert.Equal([2L], (await store.ReadParkedAsync(key, None)).Select(m => m.Id));
        Assert.Equal([1L], (await store.ReadParkedAsync(other, None)).Select(m => m.Id));
        var all = (await store.ReadParkedAsync(100, None)).Select(p => (p.Key, p.Message.Id)).ToList();
        Assert.Equal(2, all.Count);
        Assert.Contains((key, 2L), all);
        Assert.Contains((other, 1L), all);

        await store.ParkAsync(key, Action(1, "reply", "one again", attempts: 1, error: "again"), None);
        Assert.Equal([(1L, "one again"), (2L, "two")], (await store.ReadParkedAsync(key, None)).Select(m => (m.Id, Text(m.Payload))).OrderBy(m => m.Id));
    }

    // ---- conversation directory ---------------------------------------------------------------

    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    private static ConversationDirectoryEntry Entry(ConversationKey key, string? mode, string? reason, int minutes) =>
        new(key.Tenant, key.ConversationId, mode, reason, T0.AddMinutes(minutes), T0.AddMinutes(minutes).AddSeconds(1));

    [Fact]
    public async Task Directory_lists_newest_activity_first_with_the_total_and_pages()
    {
        var store = await CreateStoreAsync();
        var tenant = "dir-" + Guid.NewGuid().ToString("N")[..8];
        var keys = Enumerable.Range(0, 5).Select(_ => NewKey(tenant)).ToList();
        for (var i = 0; i < keys.Count; i++) await store.UpsertDirectoryAsync(Entry(keys[i], "bot", null, i), None);

        var first = await store.ListConversationsAsync(new ConversationDirectoryFilter(Tenant: tenant, Page: 1, PageSize: 2), None);
        var second = await store.ListConversationsAsync(new ConversationDirectoryFilter(Tenant: tenant, Page: 2, PageSize: 2), None);
        var third = await store.ListConversationsAsync(new ConversationDirectoryFilter(Tenant: tenant, Page: 3, PageSize: 2), None);
        var beyond = await store.ListConversationsAsync(new ConversationDirectoryFilter(Tenant: tenant, Page: 4, PageSize: 2), None);

        Assert.Equal([keys[4], keys[3]], first.Entries.Select(e => e.Key));
        Assert.Equal([keys[2], keys[1]], second.Entries.Select(e => e.Key));
        Assert.Equal([keys[0]], third.Entries.Select(e => e.Key));
        Assert.Empty(beyond.Entries);
        Assert.All([first, second, third, beyond], p => Assert.Equal(5, p.Total));
        var top = first.Entries[0];
        Assert.Equal(("bot", (string?)null, T0.AddMinutes(4), T0.AddMinutes(4).AddSeconds(1)), (top.Mode, top.HandoffReason, top.LastActivityAt, top.UpdatedAt));
        Assert.Equal(0, (await store.ListConversationsAsync(new ConversationDirectoryFilter(Tenant: tenant + "-none"), None)).Total);
    }

    [Fact]
    public async Task Directory_upsert_replaces_the_entry_of_the_conversation()
    {
        var store = await CreateStoreAsync();
        var key = NewKey("dir-" + Guid.NewGuid().ToString("N")[..8]);

        await store.UpsertDirectoryAsync(Entry(key, "bot", null, 1), None);
        await store.UpsertDirectoryAsync(Entry(key, "human", "customer_asked", 2), None);

        var page = await store.ListConversationsAsync(new ConversationDirectoryFilter(Tenant: key.Tenant), None);
        var entry = Assert.Single(page.Entries);
        Assert.Equal((key, "human", "customer_asked", T0.AddMinutes(2)), (entry.Key, entry.Mode, entry.HandoffReason, entry.LastActivityAt));
        Assert.Equal(1, page.Total);
    }

    [Fact]
    public async Task Directory_filters_by_tenant_mode_reason_and_activity_together()
    {
        var store = await CreateStoreAsync();
        var suffix = Guid.NewGuid().ToString("N")[..8];
        var (acme, globex) = ("acme-" + suffix, "globex-" + suffix);
        var botOld = NewKey(acme);
        var humanAsked = NewKey(acme);
        var humanTurns = NewKey(acme);
        var resolved = NewKey(acme);
        var otherTenant = NewKey(globex);
        await store.UpsertDirectoryAsync(Entry(botOld, "bot", null, 0), None);
        await store.UpsertDirectoryAsync(Entry(humanAsked, "human", "customer_asked", 10), None);
        await store.UpsertDirectoryAsync(Entry(humanTurns, "human", "max_bot_turns", 20), None);
        await store.UpsertDirectoryAsync(Entry(resolved, "resolved", "customer_asked", 30), None);
        await store.UpsertDirectoryAsync(Entry(otherTenant, "human", "customer_asked", 40), None);

        async Task<ConversationKey[]> List(ConversationDirectoryFilter filter) =>
            [.. (await store.ListConversationsAsync(filter, None)).Entries.Select(e => e.Key).Where(k => k.Tenant == acme || k.Tenant == globex)];

        Assert.Equal([resolved, humanTurns, humanAsked, botOld], await List(new(Tenant: acme)));
        Assert.Equal([humanTurns, humanAsked], await List(new(Tenant: acme, Mode: "human")));
        Assert.Equal([otherTenant, humanAsked], await List(new(Mode: "human", HandoffReason: "customer_asked", ActiveSince: T0.AddMinutes(5))));
        Assert.Equal([resolved, humanAsked], await List(new(Tenant: acme, HandoffReason: "customer_asked")));
        Assert.Equal([resolved, humanTurns], await List(new(Tenant: acme, ActiveSince: T0.AddMinutes(20))));
        Assert.Equal(2, (await store.ListConversationsAsync(new(Tenant: acme, ActiveSince: T0.AddMinutes(20)), None)).Total);
        Assert.Empty(await List(new(Tenant: globex, Mode: "bot")));
    }

    // ---- values, ping -------------------------------------------------------------------------

    [Fact]
    public async Task Values_are_stored_per_tenant_and_overwritten()
    {
        var store = await CreateStoreAsync();
        var tenant = NewKey().ConversationId;

        await store.SetValueAsync(tenant, "inbox:12", "7", None);
        await store.SetValueAsync(tenant, "inbox:12", "8", None);
        await store.SetValueAsync(tenant + "-other", "inbox:12", "9", None);

        Assert.Equal("8", await store.GetValueAsync(tenant, "inbox:12", None));
        Assert.Equal("9", await store.GetValueAsync(tenant + "-other", "inbox:12", None));
        Assert.Null(await store.GetValueAsync(tenant, "inbox:13", None));
        Assert.Null(await store.GetValueAsync(tenant + "-none", "inbox:12", None));
    }

    [Fact]
    public async Task Ping_succeeds_when_reachable()
    {
        var store = await CreateStoreAsync();
        await store.PingAsync(None);
        Assert.Equal(new AppendResult(1, 0, 1), await store.AppendAsync(NewKey(), [Event("after-ping")], None));
    }
}
