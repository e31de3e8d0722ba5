namespace Conversations.Grains.Platforms.Chatwoot;

/// <summary>
/// Chatwoot renders every outgoing message through Liquid: AI text containing <c>{{</c> or <c>{%</c>
/// would be substituted or mangled. A zero-width space between the braces keeps the text as written
/// on screen while Liquid no longer sees a tag.
/// </summary>
public static class LiquidEscaper
{
    private const string ZeroWidthSpace = "\u200B";

    public static string Escape(string text)
    {
        if (!text.Contains('{', StringComparison.Ordinal)) return text;
        // Repeat: "{{{" leaves a new "{{" after one pass.
        while (text.Contains("{{", StringComparison.Ordinal) || text.Contains("{%", StringComparison.Ordinal))
        {
            text = text.Replace("{{", "{" + ZeroWidthSpace + "{", StringComparison.Ordinal)
                       .Replace("{%", "{" + ZeroWidthSpace + "%", StringComparison.Ordinal);
        }
        return text;
    }
}
