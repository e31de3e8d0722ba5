using System.Text.Json.Nodes;

namespace Conversations.EndToEnd.Chatwoot;

/// <summary>Chatwoot agent-bot webhook bodies shaped like the reference fixtures, stamped with the current time.</summary>
public static class ChatwootPayloads
{
    private static long _nextId = 100_000;

    public static long NextId() => Interlocked.Increment(ref _nextId);

    /// <summary>A POST of <paramref name="payload"/> to a tenant's webhook, signed with <paramref name="secret"/> as Chatwoot signs it now.</summary>
    public static HttpRequestMessage SignedPost(JsonNode payload, string secret, string tenant = "acme")
    {
        var body = System.Text.Encoding.UTF8.GetBytes(payload.ToJsonString());
        var timestamp = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/chatwoot/{tenant}") { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        request.Headers.Add(Conversations.Gateway.Webhooks.Chatwoot.ChatwootSignature.TimestampHeader, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture));
        request.Headers.Add(Conversations.Gateway.Webhooks.Chatwoot.ChatwootSignature.SignatureHeader, Conversations.Gateway.Webhooks.Chatwoot.ChatwootSignature.Sign(secret, timestamp, body));
        return request;
    }

    public static JsonObject Contact() => new()
    {
        ["additional_attributes"] = new JsonObject(),
        ["custom_attributes"] = new JsonObject { ["plan"] = "gold" },
        ["email"] = "maria.lopez@example.org",
        ["id"] = 4321,
        ["identifier"] = null,
        ["name"] = "Maria Lopez",
        ["phone_number"] = "+34600111222",
        ["thumbnail"] = "",
        ["blocked"] = false,
    };

    public static JsonObject Conversation(string status, int id = 87, int inbox = 12, DateTimeOffset? at = null)
    {
        var time = at ?? DateTimeOffset.UtcNow;
        var sender = Contact();
        sender["type"] = "contact";
        return new JsonObject
        {
            ["additional_attributes"] = new JsonObject { ["referer"] = "https://shop.example.com/orders/5531", ["browser_language"] = "en" },
            ["can_reply"] = true,
            ["channel"] = "Channel::WebWidget",
            ["id"] = id,
            ["inbox_id"] = inbox,
            ["messages"] = new JsonArray(),
            ["labels"] = new JsonArray("shipping"),
            ["meta"] = new JsonObject { ["sender"] = sender, ["assignee"] = null, ["assignee_type"] = null, ["team"] = null, ["hmac_verified"] = false },
            ["status"] = status,
            ["custom_attributes"] = new JsonObject { ["order_id"] = "5531" },
            ["priority"] = null,
            ["timestamp"] = time.ToUnixTimeSeconds(),
            ["created_at"] = time.ToUnixTimeSeconds(),
            ["updated_at"] = time.ToUnixTimeMilliseconds() / 1000.0,
        };
    }

    private static JsonObject Message(string eventType, long id, string messageType, string? content, string status, JsonNode? sender,
        bool isPrivate = false, string contentType = "text", JsonObject? attributes = null, int conversation = 87, int account = 7, int inbox = 12, DateTimeOffset? at = null)
    {
        var time = at ?? DateTimeOffset.UtcNow;
        return new JsonObject
        {
            ["account"] = new JsonObject { ["id"] = account, ["name"] = "Acme Support" },
            ["additional_attributes"] = new JsonObject(),
            ["content_attributes"] = attributes ?? new JsonObject(),
            ["content_type"] = contentType,
            ["content"] = content,
            ["conversation"] = Conversation(status, conversation, inbox, time),
            ["created_at"] = time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture),
            ["id"] = id,
            ["inbox"] = new JsonObject { ["id"] = inbox, ["name"] = "Website Chat" },
            ["message_type"] = messageType,
            ["private"] = isPrivate,
            ["sender"] = sender,
            ["source_id"] = null,
            ["event"] = eventType,
        };
    }

    public static JsonObject Incoming(string text, string status = "pending", long? id = null, int conversation = 87, int account = 7, int inbox = 12, DateTimeOffset? at = null)
    {
        var sender = Contact();
        sender["account"] = new JsonObject { ["id"] = account, ["name"] = "Acme Support" };
        return Message("message_created", id ?? NextId(), "incoming", text, status, sender, conversation: conversation, account: account, inbox: inbox, at: at);
    }

    public static JsonObject BotEcho(string text, string status = "pending", long? id = null) =>
        Message("message_created", id ?? NextId(), "outgoing", text, status, new JsonObject { ["id"] = 3, ["name"] = "Acme AI", ["type"] = "agent_bot" });

    public static JsonObject AgentReply(string text, string status = "pending", long? id = null) =>
        Message("message_created", id ?? NextId(), "outgoing", text, status, new JsonObject { ["id"] = 15, ["name"] = "Daniel Park", ["email"] = "daniel@example.com", ["type"] = "user" });

    public static JsonObject PrivateNote(string text, string status = "pending", DateTimeOffset? at = null) =>
        Message("message_created", NextId(), "outgoing", text, status, new JsonObject { ["id"] = 15, ["name"] = "Daniel Park", ["type"] = "user" }, isPrivate: true, at: at);

    public static JsonObject Template(string text, string status = "pending", string contentType = "input_csat", DateTimeOffset? at = null) =>
        Message("message_created", NextId(), "template", text, status, null, contentType: contentType, at: at);

    /// <summary>An activity message ("Conversation was marked open by ..."): no sender, message_type activity.</summary>
    public static JsonObject Activity(string text, string status = "pending", DateTimeOffset? at = null) =>
        Message("message_created", NextId(), "activity", text, status, null, at: at);

    public static JsonObject Receipt(long messageId, string text, string status = "pending", DateTimeOffset? at = null) =>
        Message("message_updated", messageId, "outgoing", text, status, new JsonObject { ["id"] = 3, ["name"] = "Acme AI", ["type"] = "agent_bot" }, at: at);

    public static JsonObject Deleted(long messageId, string status = "pending") =>
        Message("message_updated", messageId, "incoming", "This message was deleted", status, Contact(), attributes: new JsonObject { ["deleted"] = true });

    public static JsonObject SelectSubmitted(string title, string value, string status = "pending", long? id = null) =>
        Message("message_updated", id ?? NextId(), "outgoing", "What can I help you with?", status, new JsonObject { ["id"] = 3, ["name"] = "Acme AI", ["type"] = "agent_bot" },
            contentType: "input_select",
            attributes: new JsonObject
            {
                ["items"] = new JsonArray(new JsonObject { ["title"] = title, ["value"] = value }),
                ["submitted_values"] = new JsonArray(new JsonObject { ["title"] = title, ["value"] = value }),
            });

    public static JsonObject FormSubmitted(params (string Name, string Value)[] values) =>
        Message("message_updated", NextId(), "outgoing", "Your details please", "pending", new JsonObject { ["id"] = 3, ["name"] = "Acme AI", ["type"] = "agent_bot" },
            contentType: "form",
            attributes: new JsonObject
            {
                ["items"] = new JsonArray(values.Select(v => (JsonNode)new JsonObject { ["name"] = v.Name, ["type"] = "text", ["label"] = v.Name }).ToArray()),
                ["submitted_values"] = new JsonArray(values.Select(v => (JsonNode)new JsonObject { ["name"] = v.Name, ["value"] = v.Value }).ToArray()),
            });

    /// <summary>conversation_opened / conversation_resolved / conversation_status_changed / conversation_updated: the conversation at top level, no account.</summary>
    public static JsonObject ConversationEvent(string eventType, string status, int conversation = 87, int inbox = 12, DateTimeOffset? at = null, JsonArray? changed = null)
    {
        var body = Conversation(status, conversation, inbox, at);
        body["event"] = eventType;
        if (changed is not null) body["changed_attributes"] = changed;
        return body;
    }

    public static JsonObject StatusChanged(string from, string to, int conversation = 87, DateTimeOffset? at = null) =>
        ConversationEvent("conversation_status_changed", to, conversation, at: at,
            changed: new JsonArray(new JsonObject { ["status"] = new JsonObject { ["previous_value"] = from, ["current_value"] = to } }));

    public static JsonObject WidgetTriggered(JsonObject? currentConversation)
    {
        var contact = Contact();
        return new JsonObject
        {
            ["id"] = 5120,
            ["contact"] = contact,
            ["inbox"] = new JsonObject { ["id"] = 12, ["name"] = "Website Chat" },
            ["account"] = new JsonObject { ["id"] = 7, ["name"] = "Acme Support" },
            ["current_conversation"] = currentConversation,
            ["source_id"] = "6f1d2c8e-4b7a-4f0e-9d62-2a1b3c4d5e6f",
            ["event"] = "webwidget_triggered",
            ["event_info"] = new JsonObject { ["referer"] = "https://shop.example.com/", ["widget_language"] = "en" },
        };
    }
}
