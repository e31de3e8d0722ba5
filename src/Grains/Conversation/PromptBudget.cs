using Conversations.Grains.Ai;

namespace Conversations.Grains.Conversation;

/// <summary>
/// Assembles what the AI is asked, for every connector alike: the last Ai:MaxContextMessages of the
/// transcript and the known facts, each text capped at Ai:MaxMessageChars, all of it within
/// Ai:MaxPromptChars. Over the budget the oldest transcript entries go first (never the newest), then the
/// largest facts. Counted in characters: the system prompt, each fact's name and value, each entry's text.
/// </summary>
public static class PromptBudget
{
    /// <summary>What was left out to fit: for the log.</summary>
    public readonly record struct Trimmed(int DroppedEntries, int DroppedFacts, int CutTexts)
    {
        public bool Any => DroppedEntries > 0 || DroppedFacts > 0 || CutTexts > 0;
    }

    public static AiRequest Request(ConversationKey key, TenantOptions tenant, IReadOnlyList<TranscriptEntry> transcript, IReadOnlyDictionary<string, string> context, AiPurpose purpose, out Trimmed trimmed)
    {
        var ai = tenant.Ai;
        var cut = 0;
        var entries = new List<TranscriptEntry>(Math.Min(transcript.Count, ai.MaxContextMessages));
        // Entries stored before the cap existed may be longer: cap them here too.
        foreach (var entry in transcript.Skip(Math.Max(0, transcript.Count - ai.MaxContextMessages)))
            entries.Add(Capped(entry, ai.MaxMessageChars, ref cut));
        var facts = new Dictionary<string, string>(context.Count, StringComparer.Ordinal);
        foreach (var (name, value) in context)
        {
            var capped = TranscriptText.Cap(value, ai.MaxMessageChars);
            if (!ReferenceEquals(capped, value)) cut++;
            facts[name] = capped;
        }

        var total = (ai.SystemPrompt?.Length ?? 0) + entries.Sum(e => e.Text.Length) + facts.Sum(f => FactLength(f.Key, f.Value));
        var firstKept = 0;
        while (total > ai.MaxPromptChars && firstKept < entries.Count - 1) total -= entries[firstKept++].Text.Length;
        var droppedFacts = 0;
        if (total > ai.MaxPromptChars)
        {
            foreach (var (name, value) in facts.OrderByDescending(f => FactLength(f.Key, f.Value)).ToList())
            {
                if (total <= ai.MaxPromptChars) break;
                facts.Remove(name);
                total -= FactLength(name, value);
                droppedFacts++;
            }
        }

        trimmed = new Trimmed(firstKept, droppedFacts, cut);
        return new AiRequest(key, tenant, entries.GetRange(firstKept, entries.Count - firstKept), facts, purpose, null);
    }

    private static TranscriptEntry Capped(TranscriptEntry entry, int max, ref int cut)
    {
        if (entry.Text.Length <= max) return entry;
        cut++;
        return entry with { Text = TranscriptText.Cap(entry.Text, max) };
    }

    // "name: value" and a line break, as connectors write facts.
    private static int FactLength(string name, string value) => name.Length + value.Length + 3;
}
