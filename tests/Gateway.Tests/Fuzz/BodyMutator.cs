using System.Text;
using System.Text.Json.Nodes;

namespace Conversations.Gateway.Tests.Fuzz;

/// <summary>
/// Random damage to a valid webhook body, from one seeded <see cref="Random"/>: bytes flipped, cut short,
/// a value of another JSON type, a huge or invalid-UTF-8 or lone-surrogate string, an odd id, a field
/// removed, deep nesting. One to three at a time; the name of each is kept to report a failing case.
/// </summary>
public sealed class BodyMutator(Random random)
{
    private static readonly string[] OddIds = ["..", ".", "7:1", "-1", "0", "99999999999999999999999", "1e400", "7.5", "", " ", "%2e%2e", "a/b", "\u0000", "😀"];

    /// <summary>The mutations, in the order of <see cref="Apply"/>.</summary>
    private static readonly string[] Names =
    [
        "flip bytes", "truncate", "swap a value's type", "huge string", "invalid UTF-8 in a string",
        "lone surrogate escape", "odd id", "remove a field", "deep nesting", "duplicate a field",
    ];

    public (byte[] Body, string Mutations) Mutate(byte[] seed)
    {
        var body = seed;
        var names = new List<string>();
        for (var n = random.Next(1, 4); n > 0; n--)
        {
            var which = random.Next(Names.Length);
            names.Add(Names[which]);
            body = Apply(which, body);
        }
        return (body, string.Join(", ", names));
    }

    private byte[] Apply(int which, byte[] body) => which switch
    {
        0 => FlipBytes(body),
        1 => body.Length == 0 ? body : body[..random.Next(body.Length)],
        2 => OnJson(body, SwapType),
        3 => OnJson(body, node => SetString(node, new string((char)random.Next('a', 'z' + 1), random.Next(10_000, 1_100_000)))),
        4 => InsertIntoString(body, [0xC3, 0x28, 0xFF, 0xFE, 0xED, 0xA0, 0x80]),
        5 => InsertIntoString(body, "\\ud800"u8.ToArray()),
        6 => OnJson(body, node => Replace(node, random.Next(2) == 0 ? JsonValue.Create(OddIds[random.Next(OddIds.Length)]) : JsonValue.Create(random.NextInt64(long.MinValue, long.MaxValue)))),
        7 => OnJson(body, Remove),
        8 => Encoding.UTF8.GetBytes(new string('[', random.Next(65, 5_000)) + Encoding.UTF8.GetString(body)),
        _ => DuplicateField(body),
    };

    private byte[] FlipBytes(byte[] body)
    {
        var copy = (byte[])body.Clone();
        for (var i = random.Next(1, 8); i > 0 && copy.Length > 0; i--) copy[random.Next(copy.Length)] = (byte)random.Next(256);
        return copy;
    }

    /// <summary>Bytes spliced right after the opening quote of some string (anywhere, when there is none).</summary>
    private byte[] InsertIntoString(byte[] body, byte[] insert)
    {
        var quotes = Enumerable.Range(0, body.Length).Where(i => body[i] == (byte)'"').ToList();
        var at = quotes.Count > 0 ? quotes[random.Next(quotes.Count)] + 1 : random.Next(body.Length + 1);
        return [.. body.AsSpan(0, at), .. insert, .. body.AsSpan(at)];
    }

    private byte[] DuplicateField(byte[] body)
    {
        // {"a":1,...} -> {"a":1,"a":"dup",...}: JSON allows it, readers must not break on it.
        var first = Array.IndexOf(body, (byte)'{');
        if (first < 0) return body;
        var key = random.Next(2) == 0 ? "\"event\"" : "\"id\"";
        return [.. body.AsSpan(0, first + 1), .. Encoding.UTF8.GetBytes(key + ":\"dup\","), .. body.AsSpan(first + 1)];
    }

    /// <summary>Applies a structural change to a random node of a body that still parses (else returns it as it is).</summary>
    private byte[] OnJson(byte[] body, Action<JsonNode> change)
    {
        try
        {
            if (JsonNode.Parse(body) is not { } root) return body;
            var nodes = new List<JsonNode>();
            Collect(root, nodes);
            if (nodes.Count == 0) return body;
            change(nodes[random.Next(nodes.Count)]);
            return Encoding.UTF8.GetBytes(root.ToJsonString());
        }
        // An earlier mutation left it unreadable as a tree (bad JSON, a lone surrogate): leave it so.
        catch (Exception ex) when (ex is System.Text.Json.JsonException or InvalidOperationException or ArgumentException) { return body; }
    }

    private static void Collect(JsonNode node, List<JsonNode> into)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (_, child) in obj) if (child is not null) { into.Add(child); Collect(child, into); }
                break;
            case JsonArray array:
                foreach (var child in array) if (child is not null) { into.Add(child); Collect(child, into); }
                break;
        }
    }

    private void SwapType(JsonNode node)
    {
        JsonNode? other = random.Next(6) switch
        {
            0 => JsonValue.Create(random.Next()),
            1 => JsonValue.Create("swapped"),
            2 => JsonValue.Create(random.Next(2) == 0),
            3 => null,
            4 => new JsonObject { ["x"] = 1 },
            _ => new JsonArray(1, "two", null),
        };
        Replace(node, other);
    }

    private static void SetString(JsonNode node, string value) => Replace(node, JsonValue.Create(value));

    private static void Replace(JsonNode node, JsonNode? with)
    {
        switch (node.Parent)
        {
            case JsonObject parent: parent[node.GetPropertyName()] = with; break;
            case JsonArray parent: parent[node.GetElementIndex()] = with; break;
        }
    }

    private static void Remove(JsonNode node)
    {
        switch (node.Parent)
        {
            case JsonObject parent: parent.Remove(node.GetPropertyName()); break;
            case JsonArray parent: parent.RemoveAt(node.GetElementIndex()); break;
        }
    }
}
