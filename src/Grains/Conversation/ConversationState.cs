namespace Conversations.Grains.Conversation;

/// <summary>Who answers the customer now.</summary>
public enum ConversationMode { Bot, Human, Resolved }

public enum TranscriptRole { Customer, Bot, Agent }

/// <summary>One message of the transcript window, plain text.</summary>
public sealed record TranscriptEntry(TranscriptRole Role, string Text, DateTimeOffset At, string? Author = null, string? EventId = null);

/// <summary>A handoff route as applied: its index in Handoff:Routes, what it matched (reason:x, topic:y or any) and what it set.</summary>
public sealed record HandoffRouteRecord(int Index, string Match, string? TeamId = null, string? AssigneeId = null,
    IReadOnlyList<string>? Labels = null, string? Priority = null, string? CategoryId = null);

/// <summary>A handoff outside business hours: the action taken (HandOff, KeepWithBot or Snooze) and the next opening.</summary>
public sealed record OutsideHoursRecord(DateTimeOffset At, OutsideHoursAction Action, DateTimeOffset? NextOpening);

/// <summary>
/// The committed state of one conversation (serialized by <see cref="ConversationStateJson"/>).
/// Mutable on purpose: a turn loads it, folds events into it and commits it whole.
/// </summary>
public sealed class ConversationState
{
    public const int CurrentVersion = 1;

    public int Version { get; set; } = CurrentVersion;
    public ConversationMode Mode { get; set; } = ConversationMode.Bot;

    /// <summary>The platform time of the event that last changed <see cref="Mode"/>: ownership signals older than it are stale.</summary>
    public DateTimeOffset? ModeSince { get; set; }

    /// <summary>The last N messages (Ai:MaxContextMessages, at least a small floor).</summary>
    public List<TranscriptEntry> Transcript { get; set; } = [];

    /// <summary>Platform ids needed to act (Chatwoot account/inbox/conversation ids; Engage thread, source, intervention...).</summary>
    public Dictionary<string, string> Platform { get; set; } = [];

    /// <summary>Facts about the customer and the conversation for the AI (contact, attributes, labels, channel...).</summary>
    public Dictionary<string, string> Context { get; set; } = [];

    /// <summary>The platform's last known ownership status (Chatwoot status, Engage category role).</summary>
    public string? PlatformStatus { get; set; }

    /// <summary>
    /// Set when the bot handed off or saw a human take over and asked the platform to reflect it; until
    /// the platform confirms (a Human signal), implied Bot signals on message payloads are stale.
    /// </summary>
    public bool AwaitingHumanConfirmation { get; set; }

    /// <summary>Customer messages in bot mode not answered yet (a superseded reply leaves this set).</summary>
    public bool AwaitingReply { get; set; }

    /// <summary>Bot turns in the current bot episode (reset on push back and new episodes).</summary>
    public int BotTurns { get; set; }
    public int AiFailures { get; set; }
    public int ConsecutiveSupersedes { get; set; }

    /// <summary>Where the current bot episode starts in <see cref="Transcript"/> time (for the handoff summary).</summary>
    public DateTimeOffset? EpisodeStartedAt { get; set; }

    public string? LastHandoffReason { get; set; }

    /// <summary>The last handoff's bounded cause (<see cref="HandoffCause"/>): what the admin list filters on.</summary>
    public string? LastHandoffCause { get; set; }
    public DateTimeOffset? LastHandoffAt { get; set; }

    /// <summary>The Handoff:Routes entry the last handoff applied, as it was then; null when none matched.</summary>
    public HandoffRouteRecord? LastHandoffRoute { get; set; }

    /// <summary>The last handoff asked for outside business hours: when, what was done, and when people are back.</summary>
    public OutsideHoursRecord? LastOutsideHours { get; set; }

    public string? LastEventId { get; set; }
    public DateTimeOffset? LastEventAt { get; set; }

    /// <summary>The inactivity countdown (Lifecycle:*) while the bot had the last word; null: none.</summary>
    public InactivityCountdown? Inactivity { get; set; }

    /// <summary>Set once the platform seam fetched context for this activation's episode (Engage thread history...).</summary>
    public bool ContextLoaded { get; set; }

    /// <summary>Appends <paramref name="entry"/> with its text capped at <paramref name="maxChars"/>, keeping the last <paramref name="window"/> entries.</summary>
    public void AddToTranscript(TranscriptEntry entry, int window, int maxChars)
    {
        Transcript.Add(entry.Text.Length <= maxChars ? entry : entry with { Text = TranscriptText.Cap(entry.Text, maxChars) });
        var excess = Transcript.Count - Math.Max(window, 1);
        if (excess > 0) Transcript.RemoveRange(0, excess);
    }
}
