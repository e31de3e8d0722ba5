using System.Net;
using System.Text.RegularExpressions;

namespace Conversations.Gateway.Webhooks.Chatwoot;

/// <summary>
/// Chatwoot v4.9 sends web-widget and email content rendered as HTML (<c>&lt;p&gt;Hi&lt;/p&gt;</c>). The AI
/// sees plain text: block ends and line breaks become newlines, tags go, entities are decoded.
/// Text without tags is left exactly as written.
/// </summary>
public static partial class HtmlText
{
    public static string ToPlain(string? content)
    {
        if (string.IsNullOrEmpty(content)) return "";
        if (!AnyTag().IsMatch(content)) return content.Trim();
        var text = Invisible().Replace(content, "");
        text = LineBreak().Replace(text, "\n");
        text = BlockEnd().Replace(text, "\n");
        text = ListItem().Replace(text, "\n- ");
        text = AnyTag().Replace(text, "");
        text = WebUtility.HtmlDecode(text).Replace('\u00A0', ' ');
        text = TrailingSpaces().Replace(text, "\n");
        text = BlankLines().Replace(text, "\n\n");
        return text.Trim();
    }

    [GeneratedRegex(@"</?[a-zA-Z][a-zA-Z0-9]*(\s[^<>]*)?/?>")]
    private static partial Regex AnyTag();

    [GeneratedRegex(@"<br\s*/?>", RegexOptions.IgnoreCase)]
    private static partial Regex LineBreak();

    [GeneratedRegex(@"</(p|div|h[1-6]|blockquote|pre|tr|ul|ol)>", RegexOptions.IgnoreCase)]
    private static partial Regex BlockEnd();

    [GeneratedRegex(@"<li(\s[^<>]*)?>", RegexOptions.IgnoreCase)]
    private static partial Regex ListItem();

    [GeneratedRegex(@"<(script|style)[^>]*>.*?</\1>", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex Invisible();

    [GeneratedRegex(@"[ \t]+\n")]
    private static partial Regex TrailingSpaces();

    [GeneratedRegex(@"\n{3,}")]
    private static partial Regex BlankLines();
}
