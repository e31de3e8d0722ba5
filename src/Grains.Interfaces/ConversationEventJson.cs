using System.Text.Json;
using System.Text.Json.Serialization;

namespace Conversations;

/// <summary>
/// The one JSON form of <see cref="ConversationEvent"/> in inbox bodies: camelCase, enums as strings
/// (source-generated: every webhook writes one, every turn reads them). Reading is tolerant
/// (case-insensitive names, enums as names or numbers, unknown fields ignored) so gateways and
/// grains of different versions understand each other.
/// </summary>
public static class ConversationEventJson
{
    public static JsonSerializerOptions Options => ConversationEventJsonContext.Default.Options;

    public static byte[] Serialize(ConversationEvent e) => JsonSerializer.SerializeToUtf8Bytes(e, ConversationEventJsonContext.Default.ConversationEvent);

    /// <exception cref="JsonException">The body is not a conversation event.</exception>
    public static ConversationEvent Deserialize(ReadOnlySpan<byte> body) =>
        JsonSerializer.Deserialize(body, ConversationEventJsonContext.Default.ConversationEvent) ?? throw new JsonException("The inbox body is JSON null, not a conversation event.");
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web,
    UseStringEnumConverter = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ConversationEvent))]
internal sealed partial class ConversationEventJsonContext : JsonSerializerContext;
