namespace Conversations.Engage;

/// <summary>
/// Keys of <see cref="ConversationEvent.Data"/> for Engage Digital events, shared by the gateway
/// (which fills them from the webhook metadata) and the grain side (which acts on them).
/// Values are Engage's own ids (24-hex strings) or the literals documented per key.
/// </summary>
public static class EngageEventData
{
    public const string ContentId = "content_id";
    public const string ThreadId = "thread_id";
    public const string InterventionId = "intervention_id";
    /// <summary>The identity that wrote the content (customer, or the bot's/agent's identity on the source).</summary>
    public const string AuthorId = "author_id";
    /// <summary>"true" when the content is the first of its thread.</summary>
    public const string FirstInThread = "first_in_thread";
    /// <summary>Comma-separated category ids carried by the event (absent when the payload had none).</summary>
    public const string CategoryIds = "category_ids";
    public const string SourceId = "source_id";
    /// <summary>The user (agent) who caused the event, or the intervention's owner on intervention events.</summary>
    public const string UserId = "user_id";
    /// <summary>"true"/"false": the content is a private message (webhook <c>private</c>, REST <c>private_message</c>); absent when unknown.</summary>
    public const string Private = "private";
    /// <summary>content.exported: "successful" or "unsuccessful".</summary>
    public const string SynchronizationStatus = "synchronization_status";
    /// <summary>content.exported: why the push to the channel failed, when the payload says (free text).</summary>
    public const string SynchronizationError = "synchronization_error";
    /// <summary>The user who created the content (the bot's or an agent's user id; absent for imports).</summary>
    public const string CreatorId = "creator_id";
    /// <summary>The content this one answers.</summary>
    public const string InReplyToId = "in_reply_to_id";

    /// <summary><see cref="ConversationEvent.PlatformStatus"/> when the thread is in the tenant's BOT category.</summary>
    public const string StatusBot = "bot";
    /// <summary><see cref="ConversationEvent.PlatformStatus"/> when the thread's categories are known and BOT is not among them.</summary>
    public const string StatusAgent = "agent";

    public static IReadOnlyList<string> SplitIds(string? joined) =>
        string.IsNullOrEmpty(joined) ? [] : joined.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}
