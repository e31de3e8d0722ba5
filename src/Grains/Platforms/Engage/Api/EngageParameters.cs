using System.Text;

namespace Conversations.Grains.Platforms.Engage.Api;

/// <summary>
/// Request parameters in Engage's Rails convention: arrays repeat the key with a
/// <c>[]</c> suffix (<c>thread_category_ids[]=a&amp;thread_category_ids[]=b</c>), booleans are true/false.
/// </summary>
public sealed class EngageParameters
{
    private readonly List<KeyValuePair<string, string>> _pairs = [];

    public IReadOnlyList<KeyValuePair<string, string>> Pairs => _pairs;

    public EngageParameters Add(string name, string? value)
    {
        if (value is not null) _pairs.Add(new(name, value));
        return this;
    }

    public EngageParameters Add(string name, bool? value) => value is null ? this : Add(name, value.Value ? "true" : "false");

    public EngageParameters Add(string name, int? value) => value is null ? this : Add(name, value.Value.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Adds <c>name[]=v</c> once per value.</summary>
    public EngageParameters AddArray(string name, IEnumerable<string> values)
    {
        var key = name.EndsWith("[]", StringComparison.Ordinal) ? name : name + "[]";
        foreach (var value in values) _pairs.Add(new(key, value));
        return this;
    }

    /// <summary>The query string (without '?'); brackets are kept readable, values escaped.</summary>
    public string ToQueryString()
    {
        var sb = new StringBuilder();
        foreach (var (name, value) in _pairs)
        {
            if (sb.Length > 0) sb.Append('&');
            sb.Append(Uri.EscapeDataString(name).Replace("%5B%5D", "[]", StringComparison.Ordinal)).Append('=').Append(Uri.EscapeDataString(value));
        }
        return sb.ToString();
    }

    public FormUrlEncodedContent ToForm() => new(_pairs);
}
