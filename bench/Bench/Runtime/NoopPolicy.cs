using System.Diagnostics;
using Conversations.Grains.Conversation;

namespace Conversations.Bench.Runtime;

/// <summary>
/// A policy that decides nothing: each turn commits a one-byte state and no actions, so what is
/// measured is inbox, wake, turn and state write. One policy object per activation, as the real
/// factory makes. Counts events, and optionally records how long each waited from append to turn
/// (bodies then carry the append's <see cref="Stopwatch"/> timestamp).
/// </summary>
public sealed class NoopPolicyFactory : IConversationPolicyFactory
{
    private static readonly TurnResult Tiny = new(new byte[] { 1 }, []);
    public long Events;
    public long[]? Latencies;
    public long LatencyCount;

    public IConversationPolicy Create(ConversationKey key, ReadOnlyMemory<byte> committedState) => new Policy(this);

    private sealed class Policy(NoopPolicyFactory factory) : IConversationPolicy
    {
        public ValueTask<TurnResult> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken)
        {
            if (factory.Latencies is { } latencies)
            {
                var now = Stopwatch.GetTimestamp();
                foreach (var e in turn.Events)
                {
                    if (e.Body.Length < 8) continue;
                    var slot = Interlocked.Increment(ref factory.LatencyCount) - 1;
                    if (slot < latencies.Length) latencies[slot] = now - BitConverter.ToInt64(e.Body.Span);
                }
            }
            Interlocked.Add(ref factory.Events, turn.Events.Count);
            return ValueTask.FromResult(Tiny);
        }
    }
}
