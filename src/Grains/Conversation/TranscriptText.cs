namespace Conversations.Grains.Conversation;

/// <summary>How long one message may be in the transcript and in what the AI is sent (Ai:MaxMessageChars), and how a cut shows.</summary>
public static class TranscriptText
{
    /// <summary>Ends a text that was cut, so the AI (and whoever reads the transcript) knows it is not whole.</summary>
    public const string CutMarker = "…[cut]";

    /// <summary><paramref name="text"/> itself when it fits in <paramref name="max"/> characters, else its start and <see cref="CutMarker"/>, <paramref name="max"/> characters in all.</summary>
    public static string Cap(string text, int max)
    {
        if (text.Length <= max) return text;
        var keep = Math.Max(0, max - CutMarker.Length);
        // Never half of a surrogate pair: the rest would not be valid UTF-16 (nor encode to UTF-8).
        if (keep > 0 && char.IsHighSurrogate(text[keep - 1])) keep--;
        return string.Concat(text.AsSpan(0, keep), CutMarker);
    }

    public static bool IsCut(string text) => text.EndsWith(CutMarker, StringComparison.Ordinal);
}
