using System.Text;
using Conversations.Storage;

namespace Conversations.Storage.Tests.Store;

/// <summary>
/// The behaviour every <see cref="IConversationStore"/> must have. One subclass per store; each test
/// gets a fresh store from <see cref="CreateStoreAsync"/>.
/// </summary>
public abstract class ConversationStoreContract
{
    protected abstract Task<IConversationStore> CreateStoreAsync();

    private static readonly CancellationToken None = CancellationToken.None;
    private static int _unique;

    protected static ConversationKey NewKey(string tenant = "acme") => new(tenant, $"c-{Interlocked.Increment(ref _unique)}-{Guid.NewGuid():N}");

    private static NewInboxMessage Event(string dedupe, string body = "{}") => new(dedupe, "test.event", Encoding.UTF8.GetBytes(body));

    private static NewOutboxMessage Action(string kind, string payload = "{}") => new(kind, Encoding.UTF8.GetBytes(payload));

    private static string Text(ReadOnlyMemory<byte> bytes) => Encoding.UTF8.GetString(bytes.Span);

    [Fact]
    public async Task Append_then_read_pending_returns_events_in_order()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        var result = await store.AppendAsync(key, [Event("a", "1"), Event("b", "2")], None);
        await store.AppendAsync(key, [Event("c", "3")], None);

        Assert.Equal(new AppendResult(2, 0), result);
        var pending = await store.ReadPendingAsync(key, 10, None);
        Assert.Equal(["1", "2", "3"], pending.Select(p => Text(p.Body)));
        Assert.Equal(["a", "b", "c"], pending.Select(p => p.DedupeKey));
        Assert.True(pending[0].Sequence < pending[1].Sequence && pending[1].Sequence < pending[2].Sequence);
        Assert.All(pending, p => Assert.Equal("test.event", p.Type));
    }

    [Fact]
    public async Task Read_pending_honours_the_maximum()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.AppendAsync(key, [Event("a"), Event("b"), Event("c")], None);

        var pending = await store.ReadPendingAsync(key, 2, None);

        Assert.Equal(["a", "b"], pending.Select(p => p.DedupeKey));
    }

    [Fact]
    public async Task Repeated_dedupe_key_is_accepted_and_dropped()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.AppendAsync(key, [Event("a", "first")], None);

        var again = await store.AppendAsync(key, [Event("a", "second"), Event("b")], None);

        Assert.Equal(new AppendResult(1, 1), again);
        var pending = await store.ReadPendingAsync(key, 10, None);
        Assert.Equal(["first", "{}"], pending.Select(p => Text(p.Body)));
    }

    [Fact]
    public async Task Dedupe_key_still_drops_after_the_event_was_processed()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.AppendAsync(key, [Event("a")], None);
        var snapshot = await store.ActivateAsync(key, 1, None);
        var pending = await store.ReadPendingAsync(key, 10, None);
        await store.CommitTurnAsync(new TurnCommit(key, 1, snapshot!.Version, null, [pending[0].Sequence], []), None);

        var again = await store.AppendAsync(key, [Event("a")], None);

        Assert.Equal(new AppendResult(0, 1), again);
        Assert.Empty(await store.ReadPendingAsync(key, 10, None));
    }

    [Fact]
    public async Task Same_dedupe_key_appended_concurrently_from_8_tasks_is_stored_once()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        using var start = new Barrier(8);

        var results = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
        {
            start.SignalAndWait();
            return await store.AppendAsync(key, [Event("same")], None);
        })));

        Assert.Equal(1, results.Sum(r => r.Appended));
        Assert.Equal(7, results.Sum(r => r.Duplicates));
        Assert.Single(await store.ReadPendingAsync(key, 10, None));
    }

    [Fact]
    public async Task Dedupe_keys_are_per_conversation()
    {
        var store = await CreateStoreAsync();
        var first = NewKey();
        var second = NewKey();

        await store.AppendAsync(first, [Event("same")], None);
        var other = await store.AppendAsync(second, [Event("same")], None);

        Assert.Equal(1, other.Appended);
    }

    [Fact]
    public async Task New_conversation_activates_empty_at_version_zero()
    {
        var store = await CreateStoreAsync();

        var snapshot = await store.ActivateAsync(NewKey(), 1, None);

        Assert.NotNull(snapshot);
        Assert.Equal(0, snapshot.Version);
        Assert.True(snapshot.State.IsEmpty);
    }

    [Fact]
    public async Task Commit_stores_state_consumes_events_and_advances_version()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.AppendAsync(key, [Event("a"), Event("b"), Event("c")], None);
        var snapshot = await store.ActivateAsync(key, 1, None);
        var pending = await store.ReadPendingAsync(key, 2, None);

        var outcome = await store.CommitTurnAsync(new TurnCommit(key, 1, snapshot!.Version, Encoding.UTF8.GetBytes("{\"n\":1}"), pending.Select(p => p.Sequence).ToList(), []), None);

        Assert.Equal(CommitStatus.Committed, outcome.Status);
        Assert.Equal(1, outcome.Version);
        Assert.Equal(["c"], (await store.ReadPendingAsync(key, 10, None)).Select(p => p.DedupeKey));
        var reloaded = await store.ActivateAsync(key, 1, None);
        Assert.Equal(1, reloaded!.Version);
        Assert.Equal("{\"n\":1}", Text(reloaded.State));
    }

    [Fact]
    public async Task Commit_without_new_state_keeps_state_and_advances_version()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.ActivateAsync(key, 1, None);
        await store.CommitTurnAsync(new TurnCommit(key, 1, 0, Encoding.UTF8.GetBytes("{\"kept\":true}"), [], []), None);

        var outcome = await store.CommitTurnAsync(new TurnCommit(key, 1, 1, null, [], []), None);

        Assert.Equal(2, outcome.Version);
        Assert.Equal("{\"kept\":true}", Text((await store.ActivateAsync(key, 1, None))!.State));
    }

    [Fact]
    public async Task Commit_with_stale_version_is_rejected_and_changes_nothing()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.AppendAsync(key, [Event("a")], None);
        await store.ActivateAsync(key, 1, None);
        await store.CommitTurnAsync(new TurnCommit(key, 1, 0, Encoding.UTF8.GetBytes("{\"v\":1}"), [], []), None);
        var pending = await store.ReadPendingAsync(key, 10, None);

        var outcome = await store.CommitTurnAsync(new TurnCommit(key, 1, 0, Encoding.UTF8.GetBytes("{\"v\":\"stale\"}"), [pending[0].Sequence], [Action("x")]), None);

        Assert.Equal(CommitStatus.VersionConflict, outcome.Status);
        Assert.Single(await store.ReadPendingAsync(key, 10, None));
        Assert.Empty(await store.ReadOutboxAsync(key, None));
        Assert.Equal("{\"v\":1}", Text((await store.ActivateAsync(key, 1, None))!.State));
    }

    [Fact]
    public async Task Newer_fence_rejects_commits_and_activations_of_older_fences()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.AppendAsync(key, [Event("a")], None);
        await store.ActivateAsync(key, 5, None);
        var pending = await store.ReadPendingAsync(key, 10, None);

        var newer = await store.ActivateAsync(key, 7, None);
        var zombie = await store.CommitTurnAsync(new TurnCommit(key, 5, 0, Encoding.UTF8.GetBytes("{}"), [pending[0].Sequence], [Action("x")]), None);
        var older = await store.ActivateAsync(key, 6, None);

        Assert.NotNull(newer);
        Assert.Equal(CommitStatus.Fenced, zombie.Status);
        Assert.Null(older);
        Assert.Single(await store.ReadPendingAsync(key, 10, None));
        Assert.Empty(await store.ReadOutboxAsync(key, None));
        var owner = await store.CommitTurnAsync(new TurnCommit(key, 7, 0, null, [pending[0].Sequence], []), None);
        Assert.Equal(CommitStatus.Committed, owner.Status);
    }

    [Fact]
    public async Task Committed_actions_are_read_in_order_with_increasing_ids()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.ActivateAsync(key, 1, None);

        var first = await store.CommitTurnAsync(new TurnCommit(key, 1, 0, null, [], [Action("one", "1"), Action("two", "2")]), None);
        var second = await store.CommitTurnAsync(new TurnCommit(key, 1, 1, null, [], [Action("three", "3")]), None);

        var outbox = await store.ReadOutboxAsync(key, None);
        Assert.Equal(["one", "two", "three"], outbox.Select(o => o.Kind));
        Assert.Equal(["1", "2", "3"], outbox.Select(o => Text(o.Payload)));
        Assert.Equal(first.OutboxIds.Concat(second.OutboxIds), outbox.Select(o => o.Id));
        Assert.True(outbox[0].Id < outbox[1].Id && outbox[1].Id < outbox[2].Id);
        Assert.All(outbox, o => Assert.Equal((OutboxStatus.Pending, 0), (o.Status, o.Attempts)));
    }

    [Fact]
    public async Task Marking_actions_sent_retry_and_parked()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.ActivateAsync(key, 1, None);
        var ids = (await store.CommitTurnAsync(new TurnCommit(key, 1, 0, null, [], [Action("sent"), Action("retried"), Action("parked")]), None)).OutboxIds;
        var later = DateTimeOffset.UtcNow.AddMinutes(5);

        await store.MarkOutboxAsync(key, ids[0], OutboxMark.Sent, None);
        await store.MarkOutboxAsync(key, ids[1], OutboxMark.Retry(later, "HTTP 503"), None);
        await store.MarkOutboxAsync(key, ids[2], OutboxMark.Parked("HTTP 403 closed thread"), None);

        var pending = await store.ReadOutboxAsync(key, None);
        var retried = Assert.Single(pending);
        Assert.Equal(("retried", 1, "HTTP 503"), (retried.Kind, retried.Attempts, retried.LastError));
        Assert.Equal(later.ToUnixTimeMilliseconds(), retried.NextAttemptAt.ToUnixTimeMilliseconds());

        var parked = Assert.Single(await store.ReadParkedAsync(100, None), p => p.Key == key);
        Assert.Equal(("parked", OutboxStatus.Parked, "HTTP 403 closed thread"), (parked.Message.Kind, parked.Message.Status, parked.Message.LastError));

        var record = await store.ReadAsync(key, None);
        Assert.Equal([OutboxStatus.Sent, OutboxStatus.Pending, OutboxStatus.Parked], record!.Outbox.OrderBy(o => o.Id).Select(o => o.Status));
    }

    [Fact]
    public async Task Due_outbox_follows_the_oldest_pending_action_and_the_clock()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.ActivateAsync(key, 1, None);
        var ids = (await store.CommitTurnAsync(new TurnCommit(key, 1, 0, null, [], [Action("a")]), None)).OutboxIds;
        var now = DateTimeOffset.UtcNow;

        Assert.Contains(key, await store.FindDueOutboxAsync(now.AddSeconds(1), null, 1000, None));
        await store.MarkOutboxAsync(key, ids[0], OutboxMark.Retry(now.AddMinutes(10), "later"), None);
        Assert.DoesNotContain(key, await store.FindDueOutboxAsync(now.AddMinutes(1), null, 1000, None));
        Assert.Contains(key, await store.FindDueOutboxAsync(now.AddMinutes(11), null, 1000, None));
        await store.MarkOutboxAsync(key, ids[0], OutboxMark.Sent, None);
        Assert.DoesNotContain(key, await store.FindDueOutboxAsync(now.AddMinutes(11), null, 1000, None));
    }

    [Fact]
    public async Task Pending_inbox_is_found_until_consumed_and_filtered_by_shard()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        await store.AppendAsync(key, [Event("a")], None);
        var shard = key.Shard(16);

        Assert.Contains(key, await store.FindPendingInboxAsync(null, 100_000, None));
        Assert.Contains(key, await store.FindPendingInboxAsync(new ShardSet(16, [shard]), 100_000, None));
        Assert.DoesNotContain(key, await store.FindPendingInboxAsync(new ShardSet(16, [(shard + 1) % 16]), 100_000, None));

        await store.ActivateAsync(key, 1, None);
        var pending = await store.ReadPendingAsync(key, 10, None);
        await store.CommitTurnAsync(new TurnCommit(key, 1, 0, null, [pending[0].Sequence], []), None);
        Assert.DoesNotContain(key, await store.FindPendingInboxAsync(null, 100_000, None));
    }

    [Fact]
    public async Task Read_returns_the_admin_view_or_null()
    {
        var store = await CreateStoreAsync();
        var key = NewKey();
        Assert.Null(await store.ReadAsync(NewKey(), None));

        await store.AppendAsync(key, [Event("a"), Event("b")], None);
        await store.ActivateAsync(key, 3, None);
        await store.CommitTurnAsync(new TurnCommit(key, 3, 0, Encoding.UTF8.GetBytes("{\"mode\":\"Bot\"}"), [], [Action("reply")]), None);

        var record = await store.ReadAsync(key, None);
        Assert.NotNull(record);
        Assert.Equal((key, 1L, 3L, 2), (record.Key, record.Version, record.Fence, record.PendingEvents));
        Assert.Equal("{\"mode\":\"Bot\"}", Text(record.State));
        Assert.Equal("reply", Assert.Single(record.Outbox).Kind);
    }

    [Fact]
    public async Task Values_are_stored_per_tenant_and_overwritten()
    {
        var store = await CreateStoreAsync();
        var tenant = NewKey().ConversationId;

        await store.SetValueAsync(tenant, "inbox:12", "7", None);
        await store.SetValueAsync(tenant, "inbox:12", "8", None);

        Assert.Equal("8", await store.GetValueAsync(tenant, "inbox:12", None));
        Assert.Null(await store.GetValueAsync(tenant, "inbox:13", None));
        Assert.Null(await store.GetValueAsync(tenant + "-other", "inbox:12", None));
    }

    [Fact]
    public async Task Ping_succeeds_when_reachable()
    {
        var store = await CreateStoreAsync();
        await store.PingAsync(None);
    }
}
