namespace Conversations;

/// <summary>What a platform event means, platform-neutral. The gateway classifies; the grain decides.</summary>
public enum EventKind
{
    /// <summary>The customer wrote (text, or a button/form answer).</summary>
    CustomerMessage,
    /// <summary>A human agent wrote publicly.</summary>
    AgentMessage,
    /// <summary>The bot's own message coming back.</summary>
    BotEcho,
    /// <summary>An internal note (never shown to the customer).</summary>
    PrivateNote,
    /// <summary>The platform's ownership state changed (Chatwoot status, Engage BOT/AGENT category).</summary>
    StatusChanged,
    /// <summary>A human took the conversation (Engage intervention by an agent...).</summary>
    HumanTookOver,
    /// <summary>The conversation ended (resolved, closed).</summary>
    Resolved,
    /// <summary>Something the grain should record but not act on (delivery receipts, widget opened...).</summary>
    Other,
}

/// <summary>
/// A platform event normalized by the gateway and stored in the inbox (as JSON). <see cref="Data"/>
/// carries the platform ids needed to act (account, inbox, content, thread, intervention...);
/// <see cref="Context"/> carries facts about the customer and conversation for the AI.
/// </summary>
public sealed record ConversationEvent
{
    public required string Id { get; init; }
    public required EventKind Kind { get; init; }
    public required PlatformKind Platform { get; init; }
    /// <summary>The platform's event type, for logs (for example <c>message_created</c>, <c>content.imported</c>).</summary>
    public required string Type { get; init; }
    public DateTimeOffset OccurredAt { get; init; }
    /// <summary>Plain text (HTML already reduced).</summary>
    public string? Text { get; init; }
    public string? Author { get; init; }
    /// <summary>The platform's ownership status after this event: Chatwoot pending/open/resolved/snoozed; Engage bot/agent.</summary>
    public string? PlatformStatus { get; init; }
    public Dictionary<string, string> Data { get; init; } = [];
    public Dictionary<string, string> Context { get; init; } = [];
}
