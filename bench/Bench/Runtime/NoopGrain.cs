using System.Diagnostics;

namespace Conversations.Bench.Runtime;

/// <summary>A grain that only counts events, and optionally records how long each event waited for its turn.</summary>
public sealed class NoopGrainFactory : IConversationGrainFactory
{
    private static readonly NoopGrain Shared = new();
    public long Events;
    public long[]? Latencies;
    public long LatencyCount;

    public IConversationGrain Create(ConversationKey key, ReadOnlyMemory<byte> committedState) => Latencies is null ? Shared : new TimingGrain(this);

    private sealed class NoopGrain : IConversationGrain
    {
        public ValueTask<TurnResult> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken) => ValueTask.FromResult(TurnResult.Unchanged);
    }

    private sealed class TimingGrain(NoopGrainFactory factory) : IConversationGrain
    {
        public ValueTask<TurnResult> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken)
        {
            var now = Stopwatch.GetTimestamp();
            foreach (var e in turn.Events)
            {
                var sent = BitConverter.ToInt64(e.Body.Span);
                var slot = Interlocked.Increment(ref factory.LatencyCount) - 1;
                if (slot < factory.Latencies!.Length) factory.Latencies[slot] = now - sent;
            }
            Interlocked.Add(ref factory.Events, turn.Events.Count);
            return ValueTask.FromResult(TurnResult.Unchanged);
        }
    }

    /// <summary>One grain object per activation, as a real grain factory makes, so memory numbers include it.</summary>
    public sealed class CountingWrapper(NoopGrainFactory inner) : IConversationGrainFactory
    {
        public IConversationGrain Create(ConversationKey key, ReadOnlyMemory<byte> committedState) => new CountingGrain(inner);
    }

    private sealed class CountingGrain(NoopGrainFactory factory) : IConversationGrain
    {
        public ValueTask<TurnResult> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken)
        {
            Interlocked.Add(ref factory.Events, turn.Events.Count);
            return ValueTask.FromResult(TurnResult.Unchanged);
        }
    }
}

public sealed class NoopSender : IOutboxSender
{
    public ValueTask<SendOutcome> SendAsync(ConversationKey key, OutboxMessage message, CancellationToken cancellationToken) => ValueTask.FromResult(SendOutcome.Sent);
}
