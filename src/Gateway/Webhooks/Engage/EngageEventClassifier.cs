using Conversations.Engage;

namespace Conversations.Gateway.Webhooks.Engage;

/// <summary>An event worth storing: its conversation, dedupe key and normalized form.</summary>
internal sealed record ClassifiedEngageEvent(ConversationKey Key, string DedupeKey, ConversationEvent Event);

/// <summary>
/// Turns one Engage webhook event into a normalized <see cref="ConversationEvent"/>, applying the
/// filters of Engage's bot guide that the payload allows (type, status, creator, approval, BOT category).
/// The bot's identity ids (rule 3) and identity links to agents (rule 6) need REST lookups, so the
/// grain applies those. Returns null, with a reason, for events that are accepted and ignored.
/// </summary>
internal static class EngageEventClassifier
{
    /// <summary>Bodies past this are cut before they reach the inbox and the AI (pitfall 12).</summary>
    public const int MaxTextLength = 4000;

    public static ClassifiedEngageEvent? Classify(EngageWebhookEvent e, TenantOptions tenant, DateTimeOffset receivedAt, string? envelopeId, out string reason)
    {
        reason = "";
        var threadId = e.Meta("thread_id");
        if (string.IsNullOrEmpty(e.Type)) { reason = "no event type"; return null; }
        if (string.IsNullOrEmpty(threadId)) { reason = "no thread id"; return null; }
        if (BadId(e, threadId) is { } field) { reason = BadIdReason + field; return null; }

        var result = e.Type switch
        {
            EngageEventTypes.ContentImported => Imported(e, tenant, out reason),
            EngageEventTypes.ContentReplied or EngageEventTypes.ContentExported => Outgoing(e, tenant, out reason),
            EngageEventTypes.InterventionOpened or EngageEventTypes.InterventionAssigned or EngageEventTypes.InterventionUserUpdated => InterventionOwner(e, tenant, out reason),
            EngageEventTypes.InterventionClosed => Build(e, EventKind.StatusChanged, out reason),
            EngageEventTypes.ContentThreadClosed => Build(e, EventKind.Resolved, out reason),
            _ => Ignore("event type not handled", out reason),
        };
        if (result is null) return null;

        var eventId = e.Id ?? $"{envelopeId ?? "no-envelope"}#{e.Index}";
        result = result with
        {
            Id = eventId,
            Platform = PlatformKind.Engage,
            Type = e.Type,
            OccurredAt = e.IssuedAt ?? receivedAt,
            Data = Ids(e, threadId),
        };
        return new ClassifiedEngageEvent(new ConversationKey(tenant.Id, threadId), DedupeKey(e, result, eventId), result);
    }

    /// <summary>The start of the reason for an event ignored because one of its ids is not an Engage id (the handler logs it as a warning).</summary>
    public const string BadIdReason = "not an Engage id (letters and digits, at most 64): ";

    /// <summary>
    /// Engage ids are ObjectId strings (24 hex in every sample) or integers (older docs): letters and digits.
    /// They become REST paths (/content_threads/{id}) and conversation keys, so nothing else may pass.
    /// </summary>
    public static bool IsId(string? id) =>
        id is { Length: > 0 and <= 64 } && id.AsSpan().IndexOfAnyExcept(IdAlphabet) < 0;

    private static readonly System.Buffers.SearchValues<char> IdAlphabet =
        System.Buffers.SearchValues.Create("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");

    /// <summary>The first id field (present, so absent ones pass) that is not an Engage id.</summary>
    private static string? BadId(EngageWebhookEvent e, string threadId)
    {
        if (!IsId(threadId)) return "thread_id";
        foreach (var (name, value) in new[]
                 {
                     ("id", e.Meta("id")), ("resource.id", e.ResourceId), ("content_id", e.Meta("content_id")),
                     ("intervention_id", e.Meta("intervention_id")), ("author_id", e.Meta("author_id")), ("source_id", e.Meta("source_id")),
                     ("user_id", e.Meta("user_id")), ("event.user_id", e.UserId), ("creator_id", e.Meta("creator_id")), ("in_reply_to_id", e.Meta("in_reply_to_id")),
                 })
        {
            if (!string.IsNullOrEmpty(value) && !IsId(value)) return name;
        }
        return e.MetaIds("category_ids") is { } categories && categories.Any(c => !IsId(c)) ? "category_ids" : null;
    }

    /// <summary>
    /// The event id, except for the bot's/agent's outgoing contents: content.replied and
    /// content.exported report the same content twice, and the transcript wants it once.
    /// An unsuccessful export stays distinct so it is recorded.
    /// </summary>
    private static string DedupeKey(EngageWebhookEvent e, ConversationEvent normalized, string eventId) =>
        normalized.Kind is EventKind.BotEcho or EventKind.AgentMessage && e.Meta("id") is { Length: > 0 } contentId
            ? $"engage.content:{contentId}"
            : $"engage.event:{eventId}";

    private static ConversationEvent? Imported(EngageWebhookEvent e, TenantOptions tenant, out string reason)
    {
        // Rule 2: a user (agent, or the bot itself) created it; the bot's own echo is still worth a transcript line.
        var status = e.Meta("status");
        var creator = e.Meta("creator_id");
        if (IsBot(tenant, creator) || IsBot(tenant, e.UserId)) return Build(e, EventKind.BotEcho, out reason, Text(e));
        if (status is "user_reply" or "user_initiated") return Ignore($"status {status}", out reason);
        if (!string.IsNullOrEmpty(creator)) return Ignore("created by a user", out reason);
        // Rule 5: waiting for approval is not a customer message yet.
        if (e.MetaBool("approval_required") == true) return Ignore("approval required", out reason);
        var text = Text(e);
        // An empty list (Engage's own samples have them) says as little as a missing one: the grain asks Engage.
        var categories = e.MetaIds("category_ids") is { Count: > 0 } ids ? ids : null;
        // Rule 4 is applied by the grain through the status: outside BOT the message is transcript only.
        return Build(e, EventKind.CustomerMessage, out reason, text, e.Meta("author_id"), ThreadStatus(tenant, categories));
    }

    private static ConversationEvent? Outgoing(EngageWebhookEvent e, TenantOptions tenant, out string reason)
    {
        // Not a transcript line; its body, error and creator let the grain retry or hand off (the customer got nothing).
        if (e.Type == EngageEventTypes.ContentExported && e.Meta("synchronization_status") == "unsuccessful")
            return Build(e, EventKind.Other, out reason, Text(e), e.Meta("author_id"));
        var bot = IsBot(tenant, e.Meta("creator_id")) || IsBot(tenant, e.UserId);
        return Build(e, bot ? EventKind.BotEcho : EventKind.AgentMessage, out reason, Text(e), e.Meta("author_id"));
    }

    /// <summary>An intervention now owned by someone other than the bot means a human took over.</summary>
    private static ConversationEvent? InterventionOwner(EngageWebhookEvent e, TenantOptions tenant, out string reason)
    {
        var owner = e.Meta("user_id") is { Length: > 0 } o ? o : e.UserId;
        if (string.IsNullOrEmpty(owner)) return Ignore("intervention without owner", out reason);
        return Build(e, IsBot(tenant, owner) ? EventKind.Other : EventKind.HumanTookOver, out reason, author: owner);
    }

    private static bool IsBot(TenantOptions tenant, string? userId) =>
        !string.IsNullOrEmpty(userId) && string.Equals(userId, tenant.BotIdentity, StringComparison.Ordinal);

    /// <summary>bot/agent from the categories the event carries; null when it carries none (the grain asks).</summary>
    internal static string? ThreadStatus(TenantOptions tenant, IReadOnlyList<string>? categories)
    {
        if (string.IsNullOrEmpty(tenant.Engage.BotCategoryId)) return EngageEventData.StatusBot;
        if (categories is null) return null;
        return categories.Contains(tenant.Engage.BotCategoryId, StringComparer.Ordinal) ? EngageEventData.StatusBot : EngageEventData.StatusAgent;
    }

    /// <summary>
    /// The words as plain text. An attachment is described (the webhook carries no file details), so
    /// the AI knows something was sent, and a photo without words is still a message to answer.
    /// </summary>
    private static string? Text(EngageWebhookEvent e)
    {
        var body = e.Meta("body");
        var text = body is null ? "" : PlainText.Normalize(body, e.Meta("body_input_format") == "html");
        if (e.MetaBool("has_attachment") == true) text += (text.Length > 0 ? "\n" : "") + "[attachment]";
        return text.Length > 0 ? PlainText.Cap(text, MaxTextLength) : null;
    }

    private static Dictionary<string, string> Ids(EngageWebhookEvent e, string threadId)
    {
        var data = new Dictionary<string, string> { [EngageEventData.ThreadId] = threadId };
        var isContent = e.Type!.StartsWith("content.", StringComparison.Ordinal);
        Put(data, EngageEventData.ContentId, isContent ? e.Meta("id") ?? e.ResourceId : e.Meta("content_id"));
        Put(data, EngageEventData.InterventionId, isContent ? e.Meta("intervention_id") : e.Meta("id") ?? e.ResourceId);
        Put(data, EngageEventData.AuthorId, e.Meta("author_id"));
        Put(data, EngageEventData.SourceId, e.Meta("source_id"));
        Put(data, EngageEventData.UserId, isContent ? e.UserId : e.Meta("user_id") ?? e.UserId);
        Put(data, EngageEventData.SynchronizationStatus, e.Meta("synchronization_status"));
        Put(data, EngageEventData.SynchronizationError, e.Meta("synchronization_error"));
        if (isContent) Put(data, EngageEventData.CreatorId, e.Meta("creator_id"));
        if (isContent) Put(data, EngageEventData.InReplyToId, e.Meta("in_reply_to_id"));
        if (e.MetaBool("private") is { } isPrivate) data[EngageEventData.Private] = isPrivate ? "true" : "false";
        if (e.MetaBool("first_in_thread") is { } first) data[EngageEventData.FirstInThread] = first ? "true" : "false";
        if (e.MetaIds("category_ids") is { Count: > 0 } categories) data[EngageEventData.CategoryIds] = string.Join(',', categories);
        return data;

        static void Put(Dictionary<string, string> data, string key, string? value)
        {
            if (!string.IsNullOrEmpty(value)) data[key] = value;
        }
    }

    private static ConversationEvent Build(EngageWebhookEvent e, EventKind kind, out string reason, string? text = null, string? author = null, string? status = null)
    {
        reason = "";
        return new ConversationEvent { Id = "", Kind = kind, Platform = PlatformKind.Engage, Type = e.Type ?? "", Text = text, Author = author, PlatformStatus = status };
    }

    private static ConversationEvent? Ignore(string why, out string reason)
    {
        reason = why;
        return null;
    }
}
