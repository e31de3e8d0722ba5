using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Conversations.Platforms;

namespace Conversations.Gateway.Webhooks.Chatwoot;

/// <summary>A Chatwoot webhook understood: where it goes (account may be unknown for conversation events) and what it means.</summary>
public sealed record ChatwootEvent(string? AccountId, string? InboxId, string DisplayId, string DedupeKey, ConversationEvent Event);

/// <summary>
/// Classifies one Chatwoot agent-bot webhook (the agent-bot payloads Chatwoot documents) into a platform-neutral
/// <see cref="ConversationEvent"/>. Pure: no I/O; the handler resolves accounts and appends.
/// </summary>
public static class ChatwootEventReader
{
    public const int MaxContextValueLength = 500;

    public static readonly IReadOnlySet<string> KnownEvents = new HashSet<string>(StringComparer.Ordinal)
    {
        "message_created", "message_updated", "conversation_opened", "conversation_resolved",
        "conversation_status_changed", "conversation_updated", "webwidget_triggered",
    };

    /// <summary>
    /// Null when the event concerns no conversation (or is an unknown type): accept and ignore.
    /// <paramref name="body"/> is the raw body (what the signature covers): events without an identity of
    /// their own are keyed on its digest, never on X-Chatwoot-Delivery (unsigned, so a replay could change it)
    /// nor on the receive time (the same request a second later is the same event).
    /// </summary>
    public static ChatwootEvent? Read(JsonElement root, string eventType, TenantOptions tenant, ReadOnlyMemory<byte> body, DateTimeOffset receivedAt) => eventType switch
    {
        "message_created" or "message_updated" => ReadMessage(root, eventType, tenant, body, receivedAt),
        "conversation_opened" or "conversation_resolved" or "conversation_status_changed" or "conversation_updated" =>
            ReadConversation(root, root, eventType, body, receivedAt, contact: root.Object("meta")?.Object("sender"), inbox: null),
        "webwidget_triggered" when root.Object("current_conversation") is { } conversation =>
            ReadConversation(root, conversation, eventType, body, receivedAt, contact: root.Object("contact"), inbox: root.Object("inbox"))
                is { } widget ? widget with { AccountId = root.Object("account")?.Text("id") } : null,
        _ => null,
    };

    private static ChatwootEvent? ReadMessage(JsonElement root, string eventType, TenantOptions tenant, ReadOnlyMemory<byte> body, DateTimeOffset receivedAt)
    {
        var conversation = root.Object("conversation");
        var displayId = conversation?.Text("id");
        var messageId = root.Text("id");
        if (conversation is not { } conv || displayId is null || messageId is null) return null;
        var accountId = root.Object("account")?.Text("id") ?? FirstMessage(conv)?.Text("account_id");
        var inboxId = root.Object("inbox")?.Text("id") ?? conv.Text("inbox_id");
        var sender = root.Object("sender");
        var messageType = MessageType(root);
        var isPrivate = root.Flag("private");
        var attributes = root.Object("content_attributes");
        var senderType = sender?.Text("type");

        var kind = Classify(messageType, isPrivate, senderType, sender?.Text("id"), tenant);
        var text = messageType == "incoming" ? Incoming(root) : HtmlText.ToPlain(root.Text("content"));
        var author = sender?.Text("name");
        var occurredAt = root.Time("created_at") ?? conv.Time("updated_at") ?? receivedAt;
        string dedupeKey;

        if (eventType == "message_updated")
        {
            // A widget submission on (usually) the bot's own message is the customer's answer; other updates are receipts, deletions, translations.
            var submission = attributes is { } a && !isPrivate ? Submission(a) : null;
            var updatedAt = FirstMessage(conv) is { } last && last.Text("id") == messageId ? last.Time("updated_at") : null;
            occurredAt = updatedAt ?? conv.Time("updated_at") ?? receivedAt;
            if (submission is not null)
            {
                kind = EventKind.CustomerMessage;
                text = submission;
                author = conv.Object("meta")?.Object("sender")?.Text("name");
                // Later receipts on the same message still carry submitted_values: key on the submission, not the delivery.
                dedupeKey = $"message_updated:{messageId}:submitted:{Hash(submission)}";
            }
            else
            {
                kind = kind == EventKind.PrivateNote ? EventKind.PrivateNote : EventKind.Other;
                // The same signed body is the same update (a replay, a retry); any change of the update changes the body.
                dedupeKey = $"message_updated:{messageId}:{BodyHash(body.Span)}";
            }
        }
        else
        {
            // Retries reuse the message id, and so do Chatwoot's duplicate message_created bursts (#11901), which carry new delivery ids.
            dedupeKey = $"message_created:{messageId}";
        }

        var contact = messageType == "incoming" && sender is not null ? sender : conv.Object("meta")?.Object("sender");
        var data = new Dictionary<string, string>
        {
            [ChatwootKeys.ConversationId] = displayId,
            [ChatwootKeys.MessageId] = messageId,
            [ChatwootKeys.ContentType] = root.Text("content_type") ?? "text",
        };
        if (accountId is not null) data[ChatwootKeys.AccountId] = accountId;
        if (inboxId is not null) data[ChatwootKeys.InboxId] = inboxId;
        if (senderType is not null) data[ChatwootKeys.SenderType] = senderType;
        if (sender?.Text("id") is { } senderId) data[ChatwootKeys.SenderId] = senderId;
        if (kind == EventKind.CustomerMessage && eventType == "message_updated") data[ChatwootKeys.Submitted] = "true";

        var e = new ConversationEvent
        {
            Id = dedupeKey,
            Kind = kind,
            Platform = PlatformKind.Chatwoot,
            Type = eventType,
            OccurredAt = occurredAt,
            Text = string.IsNullOrWhiteSpace(text) ? null : text,
            Author = author,
            PlatformStatus = conv.Text("status"),
            Data = data,
            Context = Context(conv, contact, root.Object("inbox")),
        };
        return new ChatwootEvent(accountId, inboxId, displayId, dedupeKey, e);
    }

    private static ChatwootEvent? ReadConversation(JsonElement root, JsonElement conv, string eventType, ReadOnlyMemory<byte> body, DateTimeOffset receivedAt, JsonElement? contact, JsonElement? inbox)
    {
        var displayId = conv.Text("id");
        if (displayId is null) return null;
        var inboxId = conv.Text("inbox_id") ?? inbox?.Text("id");
        var accountId = FirstMessage(conv)?.Text("account_id");
        var status = conv.Text("status");
        var occurredAt = conv.Time("updated_at") ?? conv.Time("timestamp") ?? receivedAt;
        var kind = eventType switch
        {
            "conversation_resolved" => EventKind.Resolved,
            "webwidget_triggered" => EventKind.Other,
            // conversation_updated fires for labels, assignees, attributes...: its status is only a snapshot, not an explicit change.
            "conversation_updated" when !ChangesStatus(root) => EventKind.Other,
            _ => EventKind.StatusChanged,
        };
        // What the signature covers: a replayed request (any X-Chatwoot-Delivery, any arrival time) is a duplicate.
        var dedupeKey = $"{eventType}:{displayId}:{status}:{BodyHash(body.Span)}";
        var data = new Dictionary<string, string> { [ChatwootKeys.ConversationId] = displayId };
        if (accountId is not null) data[ChatwootKeys.AccountId] = accountId;
        if (inboxId is not null) data[ChatwootKeys.InboxId] = inboxId;
        var e = new ConversationEvent
        {
            Id = dedupeKey,
            Kind = kind,
            Platform = PlatformKind.Chatwoot,
            Type = eventType,
            OccurredAt = occurredAt,
            // A widget opening on a resolved conversation says nothing about who owns the next one.
            PlatformStatus = eventType == "webwidget_triggered" ? null : status,
            Data = data,
            Context = Context(conv, contact, inbox),
        };
        return new ChatwootEvent(accountId, inboxId, displayId, dedupeKey, e);
    }

    private static bool ChangesStatus(JsonElement root) =>
        root.Get("changed_attributes") is { ValueKind: JsonValueKind.Array } changes
        && changes.EnumerateArray().Any(c => c.ValueKind == JsonValueKind.Object && c.TryGetProperty("status", out _));

    private static EventKind Classify(string messageType, bool isPrivate, string? senderType, string? senderId, TenantOptions tenant)
    {
        if (isPrivate) return EventKind.PrivateNote;
        switch (messageType)
        {
            case "incoming":
                return EventKind.CustomerMessage;
            case "outgoing" when senderType == "agent_bot":
                // Our own echo, unless BotIdentity names us and this is another bot (Captain...) speaking: then someone else answers.
                return tenant.BotIdentity is { Length: > 0 } me && senderId is not null && senderId != me ? EventKind.AgentMessage : EventKind.BotEcho;
            case "outgoing" when senderType == "user":
                return EventKind.AgentMessage;
            default:
                // Templates (greeting, CSAT, email collect), sender-less outgoing (automation, campaigns), activity.
                return EventKind.Other;
        }
    }

    private static string MessageType(JsonElement root) => root.Get("message_type") switch
    {
        { ValueKind: JsonValueKind.String } s => s.GetString() ?? "",
        { ValueKind: JsonValueKind.Number } n when n.TryGetInt32(out var i) => i switch { 0 => "incoming", 1 => "outgoing", 2 => "activity", 3 => "template", _ => "" },
        _ => "",
    };

    /// <summary>The customer's words as plain text, with attachments described so the AI knows something was sent.</summary>
    private static string Incoming(JsonElement root)
    {
        var text = HtmlText.ToPlain(root.Text("content"));
        if (root.Get("attachments") is { ValueKind: JsonValueKind.Array } attachments)
        {
            foreach (var attachment in attachments.EnumerateArray())
            {
                var type = attachment.Text("file_type") ?? "file";
                var detail = attachment.Text("transcribed_text") ?? attachment.Text("fallback_title") ?? attachment.Text("data_url");
                text += (text.Length > 0 ? "\n" : "") + $"[{type} attachment{(detail is null ? "" : ": " + detail)}]";
            }
        }
        return text;
    }

    /// <summary>input_select titles, form "name: value" lines, or the submitted email; null when the update is no submission (CSAT is feedback, not a question).</summary>
    private static string? Submission(JsonElement attributes)
    {
        if (attributes.Text("submitted_email") is { Length: > 0 } email) return email;
        if (attributes.Get("submitted_values") is not { ValueKind: JsonValueKind.Array } values) return null;
        var parts = new List<string>();
        foreach (var value in values.EnumerateArray())
        {
            if (value.ValueKind != JsonValueKind.Object) continue;
            if (value.Text("title") is { Length: > 0 } title) parts.Add(title);
            else if (value.Text("name") is { Length: > 0 } name) parts.Add($"{name}: {value.Text("value")}");
            else if (value.Text("value") is { Length: > 0 } plain) parts.Add(plain);
        }
        return parts.Count == 0 ? null : string.Join("\n", parts);
    }

    private static JsonElement? FirstMessage(JsonElement conversation) =>
        conversation.Get("messages") is { ValueKind: JsonValueKind.Array } list && list.GetArrayLength() > 0 && list[0].ValueKind == JsonValueKind.Object ? list[0] : null;

    /// <summary>What the payload says about the customer and the conversation, for the AI to pre-qualify the inquiry.</summary>
    private static Dictionary<string, string> Context(JsonElement conversation, JsonElement? contact, JsonElement? inbox)
    {
        var context = new Dictionary<string, string>(StringComparer.Ordinal);
        void Put(string name, string? value)
        {
            if (string.IsNullOrWhiteSpace(value)) return;
            context[name] = value.Length > MaxContextValueLength ? value[..MaxContextValueLength] + "…" : value;
        }
        void PutAll(string prefix, JsonElement? attributes)
        {
            if (attributes is not { ValueKind: JsonValueKind.Object } obj) return;
            foreach (var property in obj.EnumerateObject())
                Put(prefix + property.Name, ChatwootJson.Scalar(property.Value) ?? (property.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array ? property.Value.GetRawText() : null));
        }

        if (contact is { } c)
        {
            Put(ChatwootKeys.ContactName, c.Text("name"));
            Put(ChatwootKeys.ContactEmail, c.Text("email"));
            Put(ChatwootKeys.ContactPhone, c.Text("phone_number"));
            Put(ChatwootKeys.ContactIdentifier, c.Text("identifier"));
            PutAll(ChatwootKeys.ContactAttributePrefix, c.Object("custom_attributes"));
        }
        PutAll(ChatwootKeys.ConversationAttributePrefix, conversation.Object("custom_attributes"));
        if (conversation.Get("labels") is { ValueKind: JsonValueKind.Array } labels)
            Put(ChatwootKeys.Labels, string.Join(", ", labels.EnumerateArray().Select(ChatwootJson.Scalar).Where(l => l is not null)));
        Put(ChatwootKeys.Priority, conversation.Text("priority"));
        Put(ChatwootKeys.Channel, conversation.Text("channel"));
        Put(ChatwootKeys.InboxName, inbox?.Text("name"));
        var extra = conversation.Object("additional_attributes");
        Put(ChatwootKeys.Referer, extra?.Text("referer"));
        Put(ChatwootKeys.BrowserLanguage, extra?.Text("browser_language"));
        return context;
    }

    private static string BodyHash(ReadOnlySpan<byte> body) => Convert.ToHexStringLower(SHA256.HashData(body))[..32];

    private static string Hash(string? text) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text ?? "")))[..16];
}
