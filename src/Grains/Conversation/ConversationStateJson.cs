using System.Text.Json;
using System.Text.Json.Serialization;

namespace Conversations.Grains.Conversation;

/// <summary>
/// State bytes: camelCase JSON with enums as names. Unknown fields are ignored and missing ones take
/// defaults, so a newer or older version of the grain can read what another wrote.
/// </summary>
public static class ConversationStateJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip,
    };

    public static byte[] Serialize(ConversationState state) => JsonSerializer.SerializeToUtf8Bytes(state, Options);

    /// <summary>An empty buffer is a new conversation.</summary>
    public static ConversationState Deserialize(ReadOnlySpan<byte> bytes) =>
        bytes.IsEmpty ? new ConversationState() : JsonSerializer.Deserialize<ConversationState>(bytes, Options) ?? new ConversationState();
}
