using System.Text;

namespace Conversations.Grains.Conversation;

/// <summary>A short summary of the bot part of a conversation, for the agent who takes over.</summary>
public static class HandoffSummary
{
    private const int MaxLines = 6;
    private const int MaxLineLength = 200;

    public static string Build(ConversationState state)
    {
        var episode = state.Transcript.Where(t => state.EpisodeStartedAt is not { } start || t.At >= start).ToList();
        if (episode.Count == 0) episode = state.Transcript;
        var customer = episode.Count(t => t.Role == TranscriptRole.Customer);
        var bot = episode.Count(t => t.Role == TranscriptRole.Bot);
        var text = new StringBuilder()
            .Append("Bot part: ").Append(customer).Append(" customer message(s), ").Append(bot).Append(" bot repl(ies).");
        foreach (var entry in episode.TakeLast(MaxLines))
        {
            var who = entry.Role switch { TranscriptRole.Customer => "Customer", TranscriptRole.Bot => "Bot", _ => "Agent" };
            var line = entry.Text.ReplaceLineEndings(" ");
            if (line.Length > MaxLineLength) line = line[..MaxLineLength] + "…";
            text.Append('\n').Append("- ").Append(who).Append(": ").Append(line);
        }
        return text.ToString();
    }
}
