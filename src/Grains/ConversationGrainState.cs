namespace Conversations.Grains;

/// <summary>
/// Everything a conversation grain writes, in one etag-checked Orleans state: the inbox cursor, the
/// policy's state (JSON, read only by the policy), and the actions decided but not yet sent. One
/// write commits a turn (I3, I4).
/// </summary>
[GenerateSerializer]
public sealed class ConversationGrainState
{
    /// <summary>The highest inbox sequence a committed turn consumed.</summary>
    [Id(0)] public long Cursor { get; set; }

    /// <summary>The policy's <c>ConversationState</c> as JSON; empty for a new conversation.</summary>
    [Id(1)] public byte[] Policy { get; set; } = [];

    /// <summary>Decided actions not yet sent, in the order they must go out.</summary>
    [Id(2)] public List<PendingAction> Pending { get; set; } = [];

    /// <summary>The next action id: ids order a conversation's actions and are their idempotency keys.</summary>
    [Id(3)] public long NextActionId { get; set; } = 1;

    /// <summary>Writes so far (for the admin view and tests).</summary>
    [Id(4)] public long Version { get; set; }

    /// <summary>
    /// The policy's timed work (an inactivity follow-up, a resolve) and when it falls due, as the last committed turn
    /// named it: what the grain schedules its timer and reminder for. The policy's state says what is really due.
    /// Empty in state written before countdowns existed.
    /// </summary>
    [Id(5)] public List<PendingCountdown> Countdowns { get; set; } = [];
}

/// <summary>A countdown of the conversation: what (<see cref="Kind"/>) and when.</summary>
[GenerateSerializer]
public sealed class PendingCountdown
{
    [Id(0)] public string Kind { get; set; } = "";
    [Id(1)] public DateTimeOffset DueAt { get; set; }
}

/// <summary>An action decided by a turn and written with it; sent after the write, retried on a timer.</summary>
[GenerateSerializer]
public sealed class PendingAction
{
    [Id(0)] public long Id { get; set; }
    [Id(1)] public string Kind { get; set; } = "";
    [Id(2)] public byte[] Payload { get; set; } = [];
    [Id(3)] public int Attempts { get; set; }
    /// <summary>Null: due now (a fresh action); otherwise the earliest next try.</summary>
    [Id(4)] public DateTimeOffset? NextAttemptAt { get; set; }
    [Id(5)] public string? LastError { get; set; }

    public OutboxMessage ToMessage(DateTimeOffset now) =>
        new(Id, Kind, Payload, OutboxStatus.Pending, Attempts, NextAttemptAt ?? now, LastError);
}
