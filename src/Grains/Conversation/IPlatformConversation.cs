using Conversations.Grains.Ai;

namespace Conversations.Grains.Conversation;

/// <summary>What an event says about who owns the conversation on the platform.</summary>
public enum Ownership
{
    /// <summary>No ownership information.</summary>
    Unknown,
    /// <summary>The bot owns it (Chatwoot pending, Engage BOT category).</summary>
    Bot,
    /// <summary>Humans own it (Chatwoot open/snoozed, Engage AGENT category or an agent's intervention).</summary>
    Human,
    /// <summary>It ended (Chatwoot resolved, Engage thread closed).</summary>
    Ended,
}

/// <summary>Platform-specific policies the shared core applies; <see cref="CanSnooze"/>: the platform snoozes a handoff until a time.</summary>
public sealed record PlatformPolicy(BurstPolicy BurstPolicy, bool Assist, bool CanSnooze = false);

/// <summary>The conversation a seam call is about: key, tenant, and the state being built by the turn.</summary>
public sealed record ConversationScope(ConversationKey Key, TenantOptions Tenant, ConversationState State);

/// <summary>
/// Why the bot hands off, with a short summary of the bot part for the agent; the Handoff:Routes entry it takes
/// (null: the platform's default); whether it is outside business hours (the customer was told when people are
/// back), and then, with OutsideAction=Snooze, when to wake it up.
/// </summary>
public sealed record HandoffRequest(string Reason, string Summary, HandoffRoute? Route = null, DateTimeOffset? SnoozeUntil = null, bool OutsideBusinessHours = false);

/// <summary>
/// The per-platform seam of the conversation grain (one implementation per <see cref="PlatformKind"/>).
/// The shared core (<see cref="ConversationPolicy"/>) owns the behaviour: modes, handoff triggers,
/// keywords, MaxBotTurns, bursts, AI calls and failures. A platform folds its specifics into the
/// state, says what an event means for ownership, and turns decisions into outbox actions.
/// </summary>
public interface IPlatformConversation
{
    PlatformKind Platform { get; }

    PlatformPolicy PolicyFor(TenantOptions tenant);

    /// <summary>
    /// Folds the platform specifics of <paramref name="e"/> into the state (ids needed to reply,
    /// context for the AI) and says what it means for ownership. Called for every event, before the core acts on its kind.
    /// </summary>
    Ownership Fold(ConversationScope scope, ConversationEvent e);

    /// <summary>Fetches context once per bot episode before the first AI call (Engage: thread history). May do nothing.</summary>
    ValueTask LoadContextAsync(ConversationScope scope, CancellationToken cancellationToken);

    /// <summary>Best-effort typing indicator while the AI works; never throws for platform refusals.</summary>
    ValueTask SetTypingAsync(ConversationScope scope, bool on, CancellationToken cancellationToken);

    /// <summary>Actions that post the AI's reply (text, buttons, cards) to the customer.</summary>
    IReadOnlyList<NewOutboxMessage> BuildReply(ConversationScope scope, AiReply reply);

    /// <summary>
    /// Actions that hand the conversation to humans: a note (reason + summary), what the route sets, then the ownership
    /// change (snoozed until <see cref="HandoffRequest.SnoozeUntil"/> when set; only platforms with <see cref="PlatformPolicy.CanSnooze"/> get one).
    /// </summary>
    IReadOnlyList<NewOutboxMessage> BuildHandoff(ConversationScope scope, HandoffRequest handoff);

    /// <summary>Actions that give the human agent an AI-suggested answer, never visible to the customer.</summary>
    IReadOnlyList<NewOutboxMessage> BuildAssistNote(ConversationScope scope, AiReply suggestion);

    /// <summary>Actions that make the platform reflect a human taking over while the bot owned it (may be empty).</summary>
    IReadOnlyList<NewOutboxMessage> BuildTakeover(ConversationScope scope);

    /// <summary>Actions that end a bot-owned conversation the customer left (inactivity, after any closing message).</summary>
    IReadOnlyList<NewOutboxMessage> BuildResolve(ConversationScope scope);

    /// <summary>
    /// Looks at an event before it is folded, with the platform's (cached) reference data: returns it
    /// as is, reclassified (Engage: a content written by one of the bot's identities is its echo), or
    /// null to drop it. Default: as is.
    /// </summary>
    ValueTask<ConversationEvent?> PrepareAsync(ConversationScope scope, ConversationEvent e, CancellationToken cancellationToken) =>
        ValueTask.FromResult<ConversationEvent?>(e);

    /// <summary>Actions an event calls for by itself, after it was folded (Engage: thread back to BOT on intervention.closed). Default: none.</summary>
    IReadOnlyList<NewOutboxMessage> BuildEventActions(ConversationScope scope, ConversationEvent e) => [];

    /// <summary>
    /// Why an event by itself calls for a handoff while the bot owns the conversation (Engage: the bot's reply could
    /// not be delivered), or null. The core hands off as for any other reason. Default: none.
    /// </summary>
    string? HandoffReasonFor(ConversationScope scope, ConversationEvent e) => null;
}

/// <summary>Performs one committed action of its platform. Maps HTTP results with <see cref="HttpSendOutcomes"/>; never loops.</summary>
public interface IPlatformActionSender
{
    PlatformKind Platform { get; }

    ValueTask<SendOutcome> SendAsync(TenantOptions tenant, ConversationKey key, OutboxMessage message, CancellationToken cancellationToken);
}
