using Conversations.Runtime.Tests.Support;

namespace Conversations.Runtime.Tests;

public sealed class OutboxRelayTests
{
    private static readonly Dictionary<string, string?> FastRetries = new()
    {
        ["Conversations:Runtime:Outbox:InitialBackoff"] = "00:00:00.010",
        ["Conversations:Runtime:Outbox:MaxBackoff"] = "00:00:00.050",
        ["Conversations:Runtime:Outbox:MaxAttempts"] = "3",
        ["Conversations:Runtime:Outbox:SweepInterval"] = "00:00:00.100",
    };

    [Fact]
    public async Task Actions_are_delivered_in_order_per_conversation()
    {
        var log = new GrainLog { ActionsFor = body => [$"{body}-a", $"{body}-b"] };
        await using var harness = await RuntimeHarness.StartAsync(log: log);
        var keys = Enumerable.Range(0, 200).Select(i => new ConversationKey("acme", $"out-{i}")).ToArray();

        await Task.WhenAll(keys.Select(key => Task.Run(async () =>
        {
            for (var n = 1; n <= 5; n++) await harness.SendAsync(key, $"e{n}", n.ToString());
        })));

        var expected = Enumerable.Range(1, 5).SelectMany(n => new[] { $"{n}-a", $"{n}-b" }).ToList();
        await Eventually.TrueAsync(() => keys.All(k => harness.Sender.SentTo(k).Count == 10), "all actions sent");
        Assert.All(keys, key => Assert.Equal(expected, harness.Sender.SentTo(key)));
    }

    [Fact]
    public async Task Transient_failure_is_retried_and_holds_back_later_actions()
    {
        var log = new GrainLog { ActionsFor = body => [$"{body}-first", $"{body}-second"] };
        await using var harness = await RuntimeHarness.StartAsync(FastRetries, log);
        harness.Sender.Outcome = (payload, attempt) =>
            payload.EndsWith("-first") && attempt < 3 ? SendOutcome.Retry("HTTP 503") : SendOutcome.Sent;
        var key = new ConversationKey("acme", "retry");

        await harness.SendAsync(key, "e1", "1");

        await Eventually.TrueAsync(() => harness.Sender.SentTo(key).Count == 2, "both actions sent");
        Assert.Equal(["1-first", "1-second"], harness.Sender.SentTo(key));
        Assert.Equal(3, harness.Sender.Attempts["1-first"]);
        Assert.Equal(1, harness.Sender.Attempts["1-second"]);
    }

    [Fact]
    public async Task Retry_after_from_the_platform_delays_the_next_attempt()
    {
        var log = new GrainLog { ActionsFor = body => [body] };
        await using var harness = await RuntimeHarness.StartAsync(FastRetries, log);
        var firstAttempt = DateTime.MinValue;
        harness.Sender.Outcome = (_, attempt) =>
        {
            if (attempt == 1) { firstAttempt = DateTime.UtcNow; return SendOutcome.Retry("HTTP 429", TimeSpan.FromMilliseconds(400)); }
            return SendOutcome.Sent;
        };
        var key = new ConversationKey("acme", "retry-after");

        await harness.SendAsync(key, "e1", "x");

        await Eventually.TrueAsync(() => harness.Sender.SentTo(key).Count == 1, "sent after Retry-After");
        Assert.True(DateTime.UtcNow - firstAttempt >= TimeSpan.FromMilliseconds(350), "the second attempt waited for Retry-After");
    }

    [Fact]
    public async Task Action_is_parked_after_the_attempt_limit_and_later_actions_still_go_out()
    {
        var log = new GrainLog { ActionsFor = body => [$"{body}-doomed", $"{body}-fine"] };
        await using var harness = await RuntimeHarness.StartAsync(FastRetries, log);
        harness.Sender.Outcome = (payload, _) => payload.EndsWith("-doomed") ? SendOutcome.Retry("HTTP 500") : SendOutcome.Sent;
        var key = new ConversationKey("acme", "park");

        await harness.SendAsync(key, "e1", "1");

        await Eventually.TrueAsync(() => harness.Sender.SentTo(key).Count == 1, "later action sent");
        Assert.Equal(["1-fine"], harness.Sender.SentTo(key));
        Assert.Equal(3, harness.Sender.Attempts["1-doomed"]);
        var parked = Assert.Single(await harness.Store.ReadParkedAsync(10, CancellationToken.None));
        Assert.Equal((key, OutboxStatus.Parked, 3), (parked.Key, parked.Message.Status, parked.Message.Attempts));
        Assert.Contains("gave up after 3 attempts", parked.Message.LastError);
    }

    [Fact]
    public async Task Permanent_failure_is_parked_at_once()
    {
        var log = new GrainLog { ActionsFor = body => [body] };
        await using var harness = await RuntimeHarness.StartAsync(FastRetries, log);
        harness.Sender.Outcome = (_, _) => SendOutcome.Failed("HTTP 403 cant_reply_to_closed_thread");
        var key = new ConversationKey("acme", "permanent");

        await harness.SendAsync(key, "e1", "1");

        await Eventually.TrueAsync(() => harness.Store.ReadAsync(key, CancellationToken.None).AsTask().GetAwaiter().GetResult()?.Outbox.Any(o => o.Status == OutboxStatus.Parked) == true, "parked");
        var parked = (await harness.Store.ReadParkedAsync(10, CancellationToken.None))[0];
        Assert.Equal(1, parked.Message.Attempts);
        Assert.Equal("HTTP 403 cant_reply_to_closed_thread", parked.Message.LastError);
    }
}

public sealed class OutboxOwnershipTests
{
    private sealed class SwitchableOwnership : Conversations.Runtime.Cluster.IShardOwnership
    {
        private readonly System.Collections.Concurrent.ConcurrentQueue<DateTimeOffset> _refusals = new();
        public volatile bool Owned = true;

        public long? FenceFor(ConversationKey key)
        {
            if (Owned) return 1;
            _refusals.Enqueue(DateTimeOffset.UtcNow);
            return null;
        }

        public Conversations.Runtime.Store.ShardSet? OwnedShards => null;

        /// <summary>How often the fence was refused at or after the given instant.</summary>
        public int RefusalsSince(DateTimeOffset since) => _refusals.Count(t => t >= since);
    }

    [Fact]
    public async Task A_retry_due_after_the_conversation_moved_away_is_left_to_the_new_owner()
    {
        var ownership = new SwitchableOwnership();
        var log = new GrainLog { ActionsFor = body => [body] };
        await using var harness = await RuntimeHarness.StartAsync(new()
        {
            ["Conversations:Runtime:Outbox:InitialBackoff"] = "00:00:00.200",
            ["Conversations:Runtime:Outbox:MaxBackoff"] = "00:00:00.200",
            ["Conversations:Runtime:Outbox:SweepInterval"] = "00:00:00.050",
        }, log, ownership);
        // The shard moves away while the first attempt is in flight: deterministic, whatever the backoff and the machine's speed.
        harness.Sender.Outcome = (_, attempt) =>
        {
            if (attempt != 1) return SendOutcome.Sent;
            ownership.Owned = false;
            return SendOutcome.Retry("HTTP 503");
        };
        var key = new ConversationKey("acme", "moved");

        await harness.SendAsync(key, "e1", "x");
        await Eventually.TrueAsync(() => harness.Store.ReadOutboxAsync(key, CancellationToken.None).AsTask().GetAwaiter().GetResult()
            is [{ Attempts: 1, Status: OutboxStatus.Pending }], "first attempt failed and a retry scheduled");
        var due = (await harness.Store.ReadOutboxAsync(key, CancellationToken.None))[0].NextAttemptAt;
        // Once the retry is due, the sweep (every 50 ms) and the retry timer hand it to the relay, which must ask for the fence
        // and be refused: wait for a few such refusals instead of a fixed time, so the relay did consider the due retry.
        await Eventually.TrueAsync(() => ownership.RefusalsSince(due) >= 3, "the due retry considered and refused by the fence");

        Assert.Equal(1, harness.Sender.Attempts["x"]);
        Assert.Empty(harness.Sender.SentTo(key));
        var pending = Assert.Single(await harness.Store.ReadOutboxAsync(key, CancellationToken.None));
        Assert.Equal(OutboxStatus.Pending, pending.Status);
    }
}
