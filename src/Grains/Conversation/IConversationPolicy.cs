namespace Conversations.Grains.Conversation;

/// <summary>
/// What a conversation does with its events, as a plain object (testable without Orleans). The
/// <see cref="ConversationGrain"/> hosting it guarantees one turn at a time, events in inbox order,
/// and that a turn's new state and actions are written together or not at all; a policy whose
/// write was refused is discarded with its activation and re-created from the stored state.
/// </summary>
public interface IConversationPolicy
{
    ValueTask<TurnResult> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken);

    /// <summary>
    /// A turn without events, run when one of the <see cref="TurnResult.Countdowns"/> the last result named falls
    /// due: it does the timed work due now (an inactivity follow-up, a resolve) and commits like any turn. The
    /// policy decides from its own committed state, so a late, early or repeated call acts at most once per due
    /// time. Default: no timed work.
    /// </summary>
    ValueTask<TurnResult> RunDueAsync(CancellationToken cancellationToken) => ValueTask.FromResult(TurnResult.Unchanged);
}

/// <summary>Creates the policy for a key from its committed state (empty for a new conversation).</summary>
public interface IConversationPolicyFactory
{
    IConversationPolicy Create(ConversationKey key, ReadOnlyMemory<byte> committedState);

    /// <summary>The route the last handoff of a committed state took, for the admin view; null when none (or unreadable).</summary>
    HandoffRouteView? HandoffRouteOf(ReadOnlyMemory<byte> committedState) => null;
}

/// <summary>What a turn works on: every event pending for the conversation when the turn began.</summary>
public sealed class TurnContext(
    ConversationKey key,
    IReadOnlyList<InboxMessage> events,
    Func<CancellationToken, ValueTask<IReadOnlyList<InboxMessage>>> readNewerEvents)
{
    public ConversationKey Key { get; } = key;
    public IReadOnlyList<InboxMessage> Events { get; } = events;

    /// <summary>
    /// Events appended to the inbox after this turn's events, as of now (empty when none). They will
    /// be the next turn's events, so a burst policy may drop a reply they overtook. Cheap when nothing
    /// arrived: the store is only read when the conversation was woken during the turn.
    /// </summary>
    public ValueTask<IReadOnlyList<InboxMessage>> ReadNewerEventsAsync(CancellationToken cancellationToken) => readNewerEvents(cancellationToken);
}

/// <summary>
/// The outcome of a turn: the state to commit (null keeps the current one) and the actions to send, in
/// order. <see cref="Summary"/>, when the policy gives one, becomes the conversation's directory entry
/// (the admin list); null leaves the entry as it was. <see cref="Countdowns"/> is the timed work the committed
/// state holds (null: none): the host runs <see cref="IConversationPolicy.RunDueAsync"/> when one falls due.
/// </summary>
public sealed record TurnResult(ReadOnlyMemory<byte>? NewState, IReadOnlyList<NewOutboxMessage> Actions, ConversationSummary? Summary = null)
{
    public static readonly TurnResult Unchanged = new(null, []);

    public IReadOnlyList<Countdown>? Countdowns { get; init; }
}

/// <summary>Timed work of a conversation: what (<see cref="Kind"/>, e.g. <c>inactivity.follow_up</c>) and when.</summary>
public sealed record Countdown(string Kind, DateTimeOffset DueAt);

/// <summary>
/// What the admin list shows of a conversation: <see cref="Mode"/> (bot, human, resolved), the last
/// handoff's bounded cause (<see cref="HandoffCause"/>: customer_asked, max_bot_turns...), and the platform time of its last event (null: the grain uses the commit time).
/// </summary>
public sealed record ConversationSummary(string Mode, string? HandoffReason, DateTimeOffset? LastActivityAt);
