using System.Net;
using System.Text;
using System.Text.RegularExpressions;

namespace Conversations;

/// <summary>Reduces HTML (from an AI or a platform) to plain text: tags dropped, breaks kept as newlines, entities decoded.</summary>
public static partial class PlainText
{
    [GeneratedRegex(@"<\s*(script|style)[^>]*>.*?<\s*/\s*\1\s*>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex ScriptOrStyle();

    [GeneratedRegex(@"<\s*(br|/p|/div|/li|/h[1-6]|/tr)\b[^>]*>", RegexOptions.IgnoreCase)]
    private static partial Regex LineBreakTags();

    [GeneratedRegex(@"<\s*/?\s*[a-zA-Z][a-zA-Z0-9]*\b[^>]*>|<!--.*?-->", RegexOptions.Singleline)]
    private static partial Regex AnyTag();

    [GeneratedRegex(@"[ \t\f\v]+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@"\n{3,}")]
    private static partial Regex ManyNewlines();

    [GeneratedRegex(@"&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|amp|lt|gt|quot|apos|nbsp);")]
    private static partial Regex Entity();

    /// <summary>True when the text looks like it contains markup (tags or HTML entities) worth reducing.</summary>
    public static bool LooksLikeHtml(string text) =>
        (text.Contains('<') && AnyTag().IsMatch(text)) || (text.Contains('&') && Entity().IsMatch(text));

    public static string FromHtml(string html)
    {
        if (string.IsNullOrEmpty(html)) return "";
        var text = ScriptOrStyle().Replace(html, "");
        text = LineBreakTags().Replace(text, "\n");
        text = AnyTag().Replace(text, "");
        text = WebUtility.HtmlDecode(text).Replace("\r\n", "\n").Replace('\u00A0', ' ');
        var lines = new StringBuilder();
        foreach (var line in text.Split('\n')) lines.Append(Spaces().Replace(line, " ").Trim()).Append('\n');
        return ManyNewlines().Replace(lines.ToString(), "\n\n").Trim();
    }

    /// <summary>Plain text from a body that may be HTML; <paramref name="isHtml"/> forces the reduction.</summary>
    public static string Normalize(string? body, bool isHtml = false) =>
        body is null ? "" : isHtml || LooksLikeHtml(body) ? FromHtml(body) : body.Trim();

    /// <summary>
    /// <paramref name="text"/> itself when it fits in <paramref name="max"/> characters, else its start and
    /// <paramref name="marker"/>, <paramref name="max"/> characters in all, never ending in half of a surrogate pair
    /// (the rest would not be valid UTF-16, nor encode to UTF-8).
    /// </summary>
    public static string Cap(string text, int max, string marker = "…")
    {
        if (text.Length <= max) return text;
        var keep = Math.Max(0, max - marker.Length);
        if (keep > 0 && char.IsHighSurrogate(text[keep - 1])) keep--;
        return string.Concat(text.AsSpan(0, keep), marker);
    }
}
