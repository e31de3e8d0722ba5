using Conversations.Grains.Conversation;
using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Conversations.Silo.Tests.Support;

/// <summary>
/// Test grains: each turn appends the events' dedupe keys to a JSON state and decides one
/// <c>test.reply</c> action. <see cref="HoldTurns"/> keeps turns open until <see cref="ReleaseTurns"/>.
/// </summary>
public sealed class RecordingGrains : IConversationPolicyFactory
{
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool HoldTurns { get; set; }
    public TaskCompletionSource TurnStarted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    public void ReleaseTurns() => _release.TrySetResult();

    public IConversationPolicy Create(ConversationKey key, ReadOnlyMemory<byte> committedState) => new Grain(this, committedState);

    private sealed class Grain(RecordingGrains owner, ReadOnlyMemory<byte> committed) : IConversationPolicy
    {
        public async ValueTask<TurnResult> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken)
        {
            owner.TurnStarted.TrySetResult();
            if (owner.HoldTurns) await owner._release.Task;

            var state = committed.IsEmpty ? new JsonObject { ["turns"] = 0, ["events"] = new JsonArray() } : JsonNode.Parse(committed.Span)!.AsObject();
            state["turns"] = state["turns"]!.GetValue<int>() + 1;
            foreach (var message in turn.Events) state["events"]!.AsArray().Add(message.DedupeKey);
            var bytes = JsonSerializer.SerializeToUtf8Bytes(state);
            committed = bytes;
            return new TurnResult(bytes, [new NewOutboxMessage("test.reply", bytes)], new ConversationSummary("bot", null, turn.Events[^1].ReceivedAt));
        }
    }
}

/// <summary>Records every action the relay sends.</summary>
public sealed class RecordingSender : IOutboxSender
{
    public ConcurrentQueue<(ConversationKey Key, long Id, string Kind)> Sent { get; } = new();

    /// <summary>Outcomes answered first, one per send (a failure is not recorded as sent).</summary>
    public ConcurrentQueue<SendOutcome> Script { get; } = new();

    public ValueTask<SendOutcome> SendAsync(ConversationKey key, OutboxMessage message, CancellationToken cancellationToken)
    {
        if (Script.TryDequeue(out var scripted) && scripted.Kind != SendResult.Sent) return ValueTask.FromResult(scripted);
        Sent.Enqueue((key, message.Id, message.Kind));
        return ValueTask.FromResult(SendOutcome.Sent);
    }
}
