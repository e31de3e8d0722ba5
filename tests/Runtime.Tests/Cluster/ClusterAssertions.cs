using Conversations.Runtime.Tests.Cluster.Harness;

namespace Conversations.Runtime.Tests.Cluster;

internal static class ClusterAssertions
{
    /// <summary>Every conversation committed exactly 1..n in order, and every reply was sent at least once, each number always under one outbox id.</summary>
    public static async Task AssertExactlyOnceInOrderAsync(ClusterHarness harness, IReadOnlyDictionary<ConversationKey, int> sent, TimeSpan timeout)
    {
        await ClusterHarness.WaitUntilAsync(async () =>
        {
            foreach (var (key, count) in sent)
                if ((await harness.HistoryAsync(key)).Length < count) return false;
            return true;
        }, timeout, "every message committed");

        foreach (var (key, count) in sent)
            Assert.Equal(Enumerable.Range(1, count), await harness.HistoryAsync(key));

        await ClusterHarness.WaitUntilAsync(() =>
        {
            var replies = harness.Log.Sends.GroupBy(s => s.Key).ToDictionary(g => g.Key, g => g.Select(s => s.Number).Distinct().Count());
            return sent.All(p => replies.TryGetValue(p.Key, out var n) && n == p.Value);
        }, timeout, "every reply sent");
        // A resend (relay crash after send, or a silo killed between send and mark) reuses the outbox id: the idempotency key.
        foreach (var group in harness.Log.Sends.GroupBy(s => (s.Key, s.Number)))
            Assert.Single(group.Select(s => s.OutboxId).Distinct());
    }
}
