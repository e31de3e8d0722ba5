namespace Conversations.Grains.Conversation;

/// <summary>How long one message may be in the transcript and in what the AI is sent (Ai:MaxMessageChars), and how a cut shows.</summary>
public static class TranscriptText
{
    /// <summary>Ends a text that was cut, so the AI (and whoever reads the transcript) knows it is not whole.</summary>
    public const string CutMarker = "…[cut]";

    /// <summary><see cref="PlainText.Cap"/> with <see cref="CutMarker"/>.</summary>
    public static string Cap(string text, int max) => PlainText.Cap(text, max, CutMarker);

    public static bool IsCut(string text) => text.EndsWith(CutMarker, StringComparison.Ordinal);
}
