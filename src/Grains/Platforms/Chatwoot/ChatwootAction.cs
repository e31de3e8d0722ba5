using System.Text.Json;
using System.Text.Json.Serialization;

namespace Conversations.Grains.Platforms.Chatwoot;

/// <summary>Outbox action kinds for Chatwoot.</summary>
public static class ChatwootActionKinds
{
    public const string Reply = "chatwoot.reply";
    public const string Note = "chatwoot.note";
    public const string Assist = "chatwoot.assist";
    public const string ToggleStatus = "chatwoot.toggle_status";
    public const string Assign = "chatwoot.assign";
    /// <summary>Replaces the conversation's labels with <see cref="ChatwootAction.Labels"/>.</summary>
    public const string Labels = "chatwoot.labels";
    /// <summary>Adds <see cref="ChatwootAction.Labels"/> to the conversation's labels (read, then the union written).</summary>
    public const string AddLabels = "chatwoot.add_labels";
    public const string Priority = "chatwoot.priority";
}

/// <summary>The body of POST /conversations/{id}/messages (snake_case on the wire).</summary>
public sealed record ChatwootMessageBody(
    [property: JsonPropertyName("content")] string Content,
    [property: JsonPropertyName("message_type")] string MessageType = "outgoing",
    [property: JsonPropertyName("private")] bool Private = false,
    [property: JsonPropertyName("content_type")] string ContentType = "text",
    [property: JsonPropertyName("content_attributes")] JsonElement? ContentAttributes = null,
    [property: JsonPropertyName("echo_id")] string? EchoId = null);

/// <summary>
/// One Chatwoot outbox action as stored in the outbox payload: where (account, conversation) and what
/// (a message, a status and when a snooze ends, an assignment, labels, a priority). Fields added later are
/// optional, so stored actions of every version stay readable.
/// </summary>
public sealed record ChatwootAction
{
    public required string AccountId { get; init; }
    public required string ConversationId { get; init; }
    public ChatwootMessageBody? Message { get; init; }
    public string? Status { get; init; }
    public string? AssigneeId { get; init; }
    public string? TeamId { get; init; }
    public IReadOnlyList<string>? Labels { get; init; }
    /// <summary>With Status snoozed: when Chatwoot reopens the conversation (unix seconds).</summary>
    public long? SnoozedUntil { get; init; }
    public string? Priority { get; init; }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public byte[] Serialize() => JsonSerializer.SerializeToUtf8Bytes(this, Json);

    public static ChatwootAction Deserialize(ReadOnlySpan<byte> payload) =>
        JsonSerializer.Deserialize<ChatwootAction>(payload, Json) ?? throw new JsonException("empty Chatwoot action");
}
