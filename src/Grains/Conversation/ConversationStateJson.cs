using System.Text.Json;
using System.Text.Json.Serialization;

namespace Conversations.Grains.Conversation;

/// <summary>
/// State bytes: camelCase JSON with enums as names (source-generated: every turn writes the state).
/// Unknown fields are ignored and missing ones take defaults, so a newer or older version of the
/// grain can read what another wrote.
/// </summary>
public static class ConversationStateJson
{
    public static JsonSerializerOptions Options => ConversationStateJsonContext.Default.Options;

    public static byte[] Serialize(ConversationState state) =>
        JsonSerializer.SerializeToUtf8Bytes(state, ConversationStateJsonContext.Default.ConversationState);

    /// <summary>An empty buffer is a new conversation.</summary>
    public static ConversationState Deserialize(ReadOnlySpan<byte> bytes) =>
        bytes.IsEmpty ? new ConversationState() : JsonSerializer.Deserialize(bytes, ConversationStateJsonContext.Default.ConversationState) ?? new ConversationState();
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip)]
[JsonSerializable(typeof(ConversationState))]
internal sealed partial class ConversationStateJsonContext : JsonSerializerContext;
