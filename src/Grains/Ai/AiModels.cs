using Conversations.Grains.Conversation;

namespace Conversations.Grains.Ai;

/// <summary>Why the AI is asked: answer the customer, or suggest an answer to the human agent (assist).</summary>
public enum AiPurpose { Reply, Assist }

/// <summary>
/// What a connector gets: the transcript window (oldest first, the customer's newest messages last),
/// facts about the customer and conversation, and the tenant's AI settings.
/// </summary>
public sealed record AiRequest(
    ConversationKey Key,
    TenantOptions Tenant,
    IReadOnlyList<TranscriptEntry> Transcript,
    IReadOnlyDictionary<string, string> Context,
    AiPurpose Purpose,
    string? EventType = null)
{
    /// <summary>The customer's messages since the bot last spoke (what this turn answers), joined by newlines.</summary>
    public string LatestCustomerText()
    {
        var tail = Transcript.Reverse().TakeWhile(t => t.Role == TranscriptRole.Customer).Reverse().Select(t => t.Text);
        var text = string.Join("\n", tail);
        return text.Length > 0 ? text : Transcript.LastOrDefault(t => t.Role == TranscriptRole.Customer)?.Text ?? "";
    }
}

/// <summary>A quick-reply button: what the customer sees and the value the bot gets back.</summary>
public sealed record AiButton(string Title, string Value);

public sealed record AiCardAction(string Text, string Type = "link", string? Payload = null, string? Uri = null);

public sealed record AiCard(string Title, string? Description = null, string? MediaUrl = null, IReadOnlyList<AiCardAction>? Actions = null);

/// <summary>One message to the customer: text, optionally with buttons or cards.</summary>
public sealed record AiMessage(string Text, IReadOnlyList<AiButton>? Buttons = null, IReadOnlyList<AiCard>? Cards = null)
{
    public IReadOnlyList<AiButton> ButtonList => Buttons ?? [];
    public IReadOnlyList<AiCard> CardList => Cards ?? [];
}

/// <summary>
/// The AI's answer: zero or more messages, and whether it wants a human to take over (and why, and what the conversation
/// is about: one of the tenant's Handoff:Routes topics, which picks the route).
/// </summary>
public sealed record AiReply(IReadOnlyList<AiMessage> Messages, bool Handoff = false, string? HandoffReason = null, string? HandoffTopic = null)
{
    public static AiReply Text(string text) => new([new AiMessage(text)]);
}

/// <summary>The AI could not answer after the resilience pipeline gave up (errors, timeouts, open breaker).</summary>
public sealed class AiUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
