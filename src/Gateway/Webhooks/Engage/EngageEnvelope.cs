using System.Globalization;
using System.Text.Json;

namespace Conversations.Gateway.Webhooks.Engage;

/// <summary>
/// One Engage webhook POST, read leniently: fields by name, unknown ones ignored, ids accepted as
/// strings or numbers (<c>domain_id</c> has been seen as an integer), every event of the batch kept.
/// </summary>
internal sealed record EngageEnvelope(string? Id, string? DomainId, IReadOnlyList<EngageWebhookEvent> Events)
{
    /// <summary>Parses the body; throws <see cref="JsonException"/> when it is not a JSON object.</summary>
    public static EngageEnvelope Parse(ReadOnlyMemory<byte> body)
    {
        using var document = JsonDocument.Parse(body, new JsonDocumentOptions { AllowTrailingCommas = true, CommentHandling = JsonCommentHandling.Skip });
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw new JsonException("The Engage webhook body must be a JSON object.");
        var events = new List<EngageWebhookEvent>();
        if (root.TryGetProperty("events", out var list) && list.ValueKind == JsonValueKind.Array)
        {
            var index = 0;
            foreach (var item in list.EnumerateArray())
            {
                if (item.ValueKind == JsonValueKind.Object) events.Add(EngageWebhookEvent.From(item, index));
                index++;
            }
        }
        return new EngageEnvelope(Lenient.String(root, "id"), Lenient.String(root, "domain_id"), events);
    }
}

/// <summary>One event of the batch; <see cref="Metadata"/> is <c>resource.metadata</c> (a detached copy).</summary>
internal sealed record EngageWebhookEvent(
    int Index,
    string? Type,
    string? Id,
    DateTimeOffset? IssuedAt,
    string? ResourceType,
    string? ResourceId,
    string? UserId,
    JsonElement Metadata)
{
    public static EngageWebhookEvent From(JsonElement e, int index)
    {
        string? resourceType = null, resourceId = null;
        var metadata = default(JsonElement);
        if (e.TryGetProperty("resource", out var resource) && resource.ValueKind == JsonValueKind.Object)
        {
            resourceType = Lenient.String(resource, "type");
            resourceId = Lenient.String(resource, "id");
            if (resource.TryGetProperty("metadata", out var m) && m.ValueKind == JsonValueKind.Object) metadata = m.Clone();
        }
        return new EngageWebhookEvent(index, Lenient.String(e, "type"), Lenient.String(e, "id"), Lenient.Time(e, "issued_at"),
            resourceType, resourceId, Lenient.String(e, "user_id"), metadata);
    }

    public string? Meta(string name) => Metadata.ValueKind == JsonValueKind.Object ? Lenient.String(Metadata, name) : null;

    public bool? MetaBool(string name) => Metadata.ValueKind == JsonValueKind.Object ? Lenient.Bool(Metadata, name) : null;

    /// <summary>The ids of an array field; null when the field is absent or not an array (unknown, not empty).</summary>
    public IReadOnlyList<string>? MetaIds(string name)
    {
        if (Metadata.ValueKind != JsonValueKind.Object || !Metadata.TryGetProperty(name, out var array) || array.ValueKind != JsonValueKind.Array) return null;
        var ids = new List<string>();
        foreach (var item in array.EnumerateArray())
        {
            var id = Lenient.AsString(item);
            if (!string.IsNullOrEmpty(id)) ids.Add(id);
        }
        return ids;
    }
}

/// <summary>Reads JSON values the way Engage sends them: strings, numbers or booleans where the docs promise one type.</summary>
internal static class Lenient
{
    public static string? String(JsonElement parent, string name) =>
        parent.TryGetProperty(name, out var value) ? AsString(value) : null;

    public static string? AsString(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        _ => null,
    };

    public static bool? Bool(JsonElement parent, string name)
    {
        if (!parent.TryGetProperty(name, out var value)) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            JsonValueKind.Number => value.TryGetInt64(out var n) ? n != 0 : null,
            JsonValueKind.String => value.GetString() is { } s && (s == "1" || s.Equals("true", StringComparison.OrdinalIgnoreCase)) ? true
                : value.GetString() is "0" or "false" or "FALSE" or "False" ? false : null,
            _ => null,
        };
    }

    public static DateTimeOffset? Time(JsonElement parent, string name) =>
        String(parent, name) is { } text && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var time)
            ? time
            : null;
}
