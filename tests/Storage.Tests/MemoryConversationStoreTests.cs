using System.Text;
using Conversations.Storage;
using Conversations.Storage.Memory;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Conversations.Storage.Tests.Store;

/// <summary>The store contract on the Memory store, on a fake clock.</summary>
public sealed class MemoryConversationStoreTests : ConversationStoreContract
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 3, 10, 13, 0, 0, TimeSpan.Zero));

    protected override Task<IConversationStore> CreateStoreAsync() =>
        Task.FromResult<IConversationStore>(new MemoryConversationStore(Options.Create(new StoreOptions()), _clock));

    protected override Task TickAsync()
    {
        _clock.Advance(TimeSpan.FromSeconds(1));
        return Task.CompletedTask;
    }
}

/// <summary>What only the Memory store does: its clock, the dedupe window, dropping consumed events.</summary>
public sealed class MemoryConversationStoreClockTests
{
    private static readonly CancellationToken None = CancellationToken.None;
    private static readonly DateTimeOffset Start = new(2026, 3, 10, 13, 0, 0, TimeSpan.Zero);

    private readonly FakeTimeProvider _clock = new(Start);

    private MemoryConversationStore NewStore(TimeSpan? dedupeWindow = null) =>
        new(Options.Create(new StoreOptions { DedupeWindow = dedupeWindow ?? TimeSpan.FromDays(7) }), _clock);

    private static ConversationKey NewKey() => new("acme", "c-" + Guid.NewGuid().ToString("N"));
    private static NewInboxMessage Event(string dedupe) => new(dedupe, "test.event", Encoding.UTF8.GetBytes(dedupe));

    [Fact]
    public async Task Events_are_stamped_with_the_clock()
    {
        var store = NewStore();
        var key = NewKey();
        await store.AppendAsync(key, [Event("a"), Event("b")], None);
        _clock.Advance(TimeSpan.FromMinutes(3));
        await store.AppendAsync(key, [Event("c")], None);

        Assert.Equal([Start, Start, Start.AddMinutes(3)], (await store.ReadAfterAsync(key, 0, 10, None)).Select(e => e.ReceivedAt));
    }

    [Fact]
    public async Task Redrive_finds_a_conversation_once_its_oldest_unconsumed_event_is_older_than_the_threshold()
    {
        var store = NewStore();
        var key = NewKey();
        await store.AppendAsync(key, [Event("a")], None);
        _clock.Advance(TimeSpan.FromMinutes(2));
        await store.AppendAsync(key, [Event("b")], None);
        var threshold = TimeSpan.FromMinutes(5);

        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Empty(await store.FindUnconsumedAsync(threshold, 100, None));
        _clock.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal([key], await store.FindUnconsumedAsync(threshold, 100, None));

        // Consuming "a" leaves "b", appended two minutes later: three minutes old now.
        await store.MarkConsumedAsync(key, 1, None);
        Assert.Empty(await store.FindUnconsumedAsync(threshold, 100, None));
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal([key], await store.FindUnconsumedAsync(threshold, 100, None));
        await store.MarkConsumedAsync(key, 2, None);
        Assert.Empty(await store.FindUnconsumedAsync(TimeSpan.Zero, 100, None));
    }

    [Fact]
    public async Task Consumed_events_are_dropped_at_once()
    {
        var store = NewStore();
        var key = NewKey();
        await store.AppendAsync(key, [Event("a"), Event("b"), Event("c")], None);

        await store.MarkConsumedAsync(key, 2, None);

        Assert.Equal([(3L, "c")], (await store.ReadAfterAsync(key, 0, 10, None)).Select(e => (e.Sequence, e.DedupeKey)));
        Assert.Equal(1, await store.CountAfterAsync(key, 0, None));
    }

    [Fact]
    public async Task Dedupe_key_is_forgotten_after_the_dedupe_window_and_sequences_go_on()
    {
        var store = NewStore(TimeSpan.FromMinutes(10));
        var key = NewKey();
        await store.AppendAsync(key, [Event("a")], None);
        await store.MarkConsumedAsync(key, 1, None);

        _clock.Advance(TimeSpan.FromMinutes(9));
        Assert.Equal(new AppendResult(0, 1, 0), await store.AppendAsync(key, [Event("a")], None));

        // Keys are pruned lazily by appends once the window has passed.
        _clock.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(new AppendResult(1, 0, 2), await store.AppendAsync(key, [Event("b")], None));
        Assert.Equal(new AppendResult(1, 0, 3), await store.AppendAsync(key, [Event("a")], None));
        // "b" is still within its window.
        Assert.Equal(new AppendResult(0, 1, 0), await store.AppendAsync(key, [Event("b")], None));
        Assert.Equal([(2L, "b"), (3L, "a")], (await store.ReadAfterAsync(key, 0, 10, None)).Select(e => (e.Sequence, e.DedupeKey)));
    }
}
