using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Conversations.Grains.Conversation;

/// <summary>Detects a customer asking for a human (Handoff:Keywords): case-insensitive, whole words or phrases.</summary>
public static class HandoffKeywords
{
    private static readonly ConcurrentDictionary<string, Regex?> Cache = new(StringComparer.Ordinal);

    public static bool AsksForHuman(string? text, IReadOnlyList<string> keywords)
    {
        if (string.IsNullOrWhiteSpace(text) || keywords.Count == 0) return false;
        var regex = Cache.GetOrAdd(string.Join('\u001f', keywords), static (_, list) => Build(list), keywords);
        return regex?.IsMatch(text) ?? false;
    }

    private static Regex? Build(IReadOnlyList<string> keywords)
    {
        var parts = keywords.Where(k => !string.IsNullOrWhiteSpace(k))
            .Select(k => string.Join(@"\s+", k.Trim().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Select(Regex.Escape)))
            .ToList();
        if (parts.Count == 0) return null;
        return new Regex($@"(?<![\p{{L}}\p{{N}}_])(?:{string.Join('|', parts)})(?![\p{{L}}\p{{N}}_])",
            RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
    }
}
