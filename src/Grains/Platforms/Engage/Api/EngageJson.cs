using System.Text.Json;
using System.Text.Json.Serialization;

namespace Conversations.Grains.Platforms.Engage.Api;

/// <summary>
/// JSON as Engage writes it: snake_case names, ids documented as integers but sent as strings,
/// booleans sometimes as 0/1 or "true", unknown fields everywhere.
/// </summary>
public static class EngageJson
{
    public static readonly JsonSerializerOptions Options = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        PropertyNameCaseInsensitive = true,
        NumberHandling = JsonNumberHandling.AllowReadingFromString,
        AllowTrailingCommas = true,
        Converters = { new LenientStringConverter(), new LenientBoolConverter() },
    };

    /// <summary>Reads a list response: <c>{count, offset, limit, records}</c>, or a bare array.</summary>
    public static EngageList<T> ReadList<T>(ReadOnlySpan<byte> json)
    {
        using var document = JsonDocument.Parse(json.ToArray());
        var root = document.RootElement;
        JsonElement records;
        int count = 0, offset = 0, limit = 0;
        if (root.ValueKind == JsonValueKind.Array) records = root;
        else if (root.ValueKind == JsonValueKind.Object)
        {
            records = root.TryGetProperty("records", out var r) ? r : default;
            count = Int(root, "count");
            offset = Int(root, "offset");
            limit = Int(root, "limit");
        }
        else throw new JsonException("An Engage list must be an object with records or an array.");

        var items = new List<T>();
        if (records.ValueKind == JsonValueKind.Array)
            foreach (var item in records.EnumerateArray())
                if (item.ValueKind == JsonValueKind.Object && item.Deserialize<T>(Options) is { } value) items.Add(value);
        return new EngageList<T>(count == 0 ? items.Count : count, offset, limit, items);

        static int Int(JsonElement o, string name) =>
            o.TryGetProperty(name, out var v) && (v.ValueKind == JsonValueKind.Number ? v.TryGetInt32(out var n) : int.TryParse(v.GetString(), out n)) ? n : 0;
    }

    private sealed class LenientStringConverter : JsonConverter<string>
    {
        public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.String => reader.GetString(),
            JsonTokenType.Number => System.Text.Encoding.UTF8.GetString(reader.HasValueSequence ? System.Buffers.BuffersExtensions.ToArray(reader.ValueSequence) : reader.ValueSpan.ToArray()),
            JsonTokenType.True => "true",
            JsonTokenType.False => "false",
            JsonTokenType.Null => null,
            _ => SkipAndNull(ref reader),
        };

        public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options) => writer.WriteStringValue(value);
    }

    private sealed class LenientBoolConverter : JsonConverter<bool>
    {
        public override bool Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.TokenType switch
        {
            JsonTokenType.True => true,
            JsonTokenType.False => false,
            JsonTokenType.Number => reader.TryGetInt64(out var n) && n != 0,
            JsonTokenType.String => reader.GetString() is "1" or "true" or "TRUE" or "True",
            _ => SkipAndFalse(ref reader),
        };

        public override void Write(Utf8JsonWriter writer, bool value, JsonSerializerOptions options) => writer.WriteBooleanValue(value);
    }

    private static string? SkipAndNull(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return null;
    }

    private static bool SkipAndFalse(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return false;
    }
}
