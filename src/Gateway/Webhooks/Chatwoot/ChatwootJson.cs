using System.Globalization;
using System.Text.Json;

namespace Conversations.Gateway.Webhooks.Chatwoot;

/// <summary>Tolerant readers for Chatwoot payload fields (ids as numbers or strings, times as ISO strings, integers or floats).</summary>
internal static class ChatwootJson
{
    public static JsonElement? Get(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public static JsonElement? Object(this JsonElement element, string name) =>
        element.Get(name) is { ValueKind: JsonValueKind.Object } value ? value : null;

    /// <summary>A scalar as text (numbers keep their JSON spelling); null for missing, null, objects and arrays.</summary>
    public static string? Text(this JsonElement element, string name) => element.Get(name) is { } value ? Scalar(value) : null;

    public static string? Scalar(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    public static bool Flag(this JsonElement element, string name) => element.Get(name) is { ValueKind: JsonValueKind.True };

    /// <summary>ISO-8601 strings, epoch seconds as integers or floats.</summary>
    public static DateTimeOffset? Time(this JsonElement element, string name)
    {
        switch (element.Get(name))
        {
            case { ValueKind: JsonValueKind.String } s when DateTimeOffset.TryParse(s.GetString(), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed):
                return parsed.ToUniversalTime();
            case { ValueKind: JsonValueKind.Number } n when n.TryGetDouble(out var seconds) && seconds is > 0 and < 253402300799:
                return DateTimeOffset.FromUnixTimeMilliseconds((long)Math.Round(seconds * 1000));
            default:
                return null;
        }
    }
}
