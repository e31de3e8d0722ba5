using System.Text.Json;
using System.Text.Json.Serialization;

namespace Conversations;

/// <summary>
/// The one JSON form of <see cref="ConversationEvent"/> in inbox bodies: camelCase, enums as strings.
/// Reading is tolerant (case-insensitive names, enums as names or numbers, unknown fields ignored)
/// so gateways and grains of different versions understand each other.
/// </summary>
public static class ConversationEventJson
{
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter() },
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static byte[] Serialize(ConversationEvent e) => JsonSerializer.SerializeToUtf8Bytes(e, Options);

    /// <exception cref="JsonException">The body is not a conversation event.</exception>
    public static ConversationEvent Deserialize(ReadOnlySpan<byte> body) =>
        JsonSerializer.Deserialize<ConversationEvent>(body, Options) ?? throw new JsonException("The inbox body is JSON null, not a conversation event.");
}
