using System.Buffers.Binary;
using System.Collections.Concurrent;

namespace Conversations.Runtime.Tests.Cluster.Harness;

/// <summary>What every silo of a harness shares: the turn log, the sends, and hooks that hold turns or sends open.</summary>
public sealed class ClusterLog
{
    public ConcurrentQueue<TurnRecord> Turns { get; } = new();
    public ConcurrentQueue<SendRecord> Sends { get; } = new();

    /// <summary>Turns of these conversations wait for the gate (HoldTurnOpen).</summary>
    public ConcurrentDictionary<ConversationKey, TaskCompletionSource> TurnGates { get; } = new();

    /// <summary>Sends of these conversations are recorded, then wait for the gate before reporting success (a crash between send and mark).</summary>
    public ConcurrentDictionary<ConversationKey, TaskCompletionSource> SendGates { get; } = new();

    public TaskCompletionSource HoldTurnOpen(ConversationKey key) =>
        TurnGates.GetOrAdd(key, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
}

public sealed record TurnRecord(string Silo, ConversationKey Key, int[] Numbers, long Timestamp);

public sealed record SendRecord(string Silo, ConversationKey Key, long OutboxId, int Number, long Timestamp);

/// <summary>
/// A grain that appends every event's number to its state (4 bytes each) and replies with it: the
/// committed state is the exact processing history, so loss, reordering and double effects show.
/// </summary>
public sealed class CountingGrainFactory(string silo, ClusterLog log) : IConversationGrainFactory
{
    public IConversationGrain Create(ConversationKey key, ReadOnlyMemory<byte> committedState) => new CountingGrain(silo, log, key, committedState.ToArray());

    private sealed class CountingGrain(string silo, ClusterLog log, ConversationKey key, byte[] state) : IConversationGrain
    {
        private byte[] _state = state;

        public async ValueTask<TurnResult> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken)
        {
            var numbers = turn.Events.Select(e => BinaryPrimitives.ReadInt32LittleEndian(e.Body.Span)).ToArray();
            log.Turns.Enqueue(new TurnRecord(silo, key, numbers, TimeProvider.System.GetTimestamp()));
            if (log.TurnGates.TryGetValue(key, out var gate)) await gate.Task.WaitAsync(cancellationToken);
            var next = new byte[_state.Length + 4 * numbers.Length];
            _state.CopyTo(next, 0);
            for (var i = 0; i < numbers.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(next.AsSpan(_state.Length + 4 * i), numbers[i]);
            // The grain keeps its state only once committed: the runtime re-creates it after a failed commit.
            _state = next;
            return new TurnResult(next, numbers.Select(n => new NewOutboxMessage("reply", Encode(n))).ToList());
        }
    }

    public static byte[] Encode(int number)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(bytes, number);
        return bytes;
    }

    public static int[] Decode(ReadOnlySpan<byte> state)
    {
        var numbers = new int[state.Length / 4];
        for (var i = 0; i < numbers.Length; i++) numbers[i] = BinaryPrimitives.ReadInt32LittleEndian(state[(4 * i)..]);
        return numbers;
    }
}

public sealed class RecordingSender(string silo, ClusterLog log) : IOutboxSender
{
    public async ValueTask<SendOutcome> SendAsync(ConversationKey key, OutboxMessage message, CancellationToken cancellationToken)
    {
        log.Sends.Enqueue(new SendRecord(silo, key, message.Id, BinaryPrimitives.ReadInt32LittleEndian(message.Payload.Span), TimeProvider.System.GetTimestamp()));
        if (log.SendGates.TryGetValue(key, out var gate)) await gate.Task.WaitAsync(cancellationToken);
        return SendOutcome.Sent;
    }
}
