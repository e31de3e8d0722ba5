using System.Text.Json.Nodes;

namespace Conversations.TestSupport.Engage;

/// <summary>
/// Builds Engage webhook bodies shaped like the reference fixtures (Engage's documented webhook shapes): an envelope
/// <c>{id, domain_id, events[]}</c> with content and intervention events. Ids are 24-hex strings.
/// </summary>
public static class EngagePayloads
{
    public const string BotCategory = "64aa10b0b0b0b0b0b0b0b0b1";
    public const string AgentCategory = "64aa10b0b0b0b0b0b0b0b0b2";
    public const string OtherCategory = "64aa10c1c1c1c1c1c1c1c1c3";
    public const string BotUser = "64bb00000000000000000b07";
    public const string BotIdentity = "64bb0000000000000000b1d1";
    public const string AgentUser = "64bb00000000000000000a01";
    public const string SourceId = "60a7c3e1f2d4b50011223344";

    private static long _counter;

    /// <summary>A fresh 24-hex id (distinct within the process).</summary>
    public static string NewId(string prefix = "65f0")
    {
        var n = Interlocked.Increment(ref _counter);
        return (prefix + n.ToString("x", System.Globalization.CultureInfo.InvariantCulture).PadLeft(20, '0'))[..24];
    }

    public static JsonObject Envelope(params JsonObject[] events) => new()
    {
        ["id"] = NewId("6849"),
        ["domain_id"] = "5f1a0c2e9d3b4a0012ab34cd",
        ["events"] = new JsonArray([.. events]),
    };

    /// <summary>A customer message (content.imported) as the source synchronizer imports it.</summary>
    public static JsonObject CustomerMessage(string threadId, string body, string? contentId = null, string authorId = "65f0a1b2c3d4e5f6012345a1",
        string[]? categories = null, bool firstInThread = false, string? interventionId = null, DateTimeOffset? issuedAt = null,
        string status = "new", string? creatorId = null, bool approvalRequired = false, string? eventId = null, string bodyFormat = "text", bool? isPrivate = true)
    {
        contentId ??= NewId("65c0");
        var metadata = new JsonObject
        {
            ["id"] = contentId,
            ["approval_required"] = approvalRequired,
            ["author_id"] = authorId,
            ["body"] = body,
            ["body_input_format"] = bodyFormat,
            ["category_ids"] = categories is null ? new JsonArray(BotCategory) : new JsonArray([.. categories.Select(c => (JsonNode)c)]),
            ["created_from"] = "synchronizer",
            ["creator_id"] = creatorId,
            ["first_in_thread"] = firstInThread,
            ["foreign_categories"] = new JsonArray(),
            ["has_attachment"] = false,
            ["in_reply_to_id"] = null,
            ["intervention_id"] = interventionId,
            ["source_id"] = SourceId,
            ["source_type"] = "chat",
            ["status"] = status,
            ["thread_id"] = threadId,
            ["type"] = "message",
        };
        if (isPrivate is { } p) metadata["private"] = p;
        return Event("content.imported", "chat/message", contentId, metadata, issuedAt, eventId);
    }

    /// <summary>content.replied / content.exported for a content written by a user (the bot or an agent).</summary>
    public static JsonObject Outgoing(string type, string threadId, string body, string userId, string authorId, string? contentId = null,
        string? interventionId = null, string? synchronizationStatus = null, DateTimeOffset? issuedAt = null,
        string? synchronizationError = null, string? inReplyToId = null, bool? isPrivate = null)
    {
        contentId ??= NewId("65c0");
        var metadata = new JsonObject
        {
            ["id"] = contentId,
            ["author_id"] = authorId,
            ["body"] = body,
            ["body_input_format"] = "text",
            ["created_from"] = "api",
            ["creator_id"] = userId,
            ["intervention_id"] = interventionId,
            ["status"] = "user_reply",
            ["thread_id"] = threadId,
            ["source_id"] = SourceId,
        };
        if (synchronizationStatus is not null) metadata["synchronization_status"] = synchronizationStatus;
        if (synchronizationError is not null) metadata["synchronization_error"] = synchronizationError;
        if (inReplyToId is not null) metadata["in_reply_to_id"] = inReplyToId;
        if (isPrivate is { } p) metadata["private"] = p;
        var e = Event(type, "chat/message", contentId, metadata, issuedAt, null);
        e["user_id"] = userId;
        return e;
    }

    /// <summary>An intervention event; <paramref name="ownerUserId"/> is the intervention's agent.</summary>
    public static JsonObject Intervention(string type, string threadId, string ownerUserId, string? interventionId = null, DateTimeOffset? issuedAt = null, string[]? categories = null)
    {
        interventionId ??= NewId("65d0");
        var metadata = new JsonObject
        {
            ["source_id"] = SourceId,
            ["thread_id"] = threadId,
            ["user_id"] = ownerUserId,
            ["identity_id"] = "65f0a1b2c3d4e5f6012345a1",
            ["category_ids"] = new JsonArray([.. (categories ?? []).Select(c => (JsonNode)c)]),
        };
        var e = Event(type, "intervention", interventionId, metadata, issuedAt, null);
        e["user_id"] = ownerUserId;
        return e;
    }

    public static JsonObject ThreadClosed(string threadId, DateTimeOffset? issuedAt = null) =>
        Event("content.thread_closed", "chat/message", NewId("65c0"), new JsonObject { ["thread_id"] = threadId }, issuedAt, null);

    private static JsonObject Event(string type, string resourceType, string resourceId, JsonObject metadata, DateTimeOffset? issuedAt, string? eventId) => new()
    {
        ["type"] = type,
        ["id"] = eventId ?? NewId("6849"),
        ["issued_at"] = (issuedAt ?? DateTimeOffset.UtcNow).ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", System.Globalization.CultureInfo.InvariantCulture),
        ["resource"] = new JsonObject { ["type"] = resourceType, ["id"] = resourceId, ["metadata"] = metadata },
    };
}
