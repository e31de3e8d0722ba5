using Conversations.Grains.Ai;
using Conversations.Grains.Conversation;

namespace Conversations.Grains.Tests.Conversation;

/// <summary>Issue 13.4: what reaches the AI is bounded per message (Ai:MaxMessageChars) and in all (Ai:MaxPromptChars), for every connector.</summary>
public sealed class PromptBudgetTests
{
    private static readonly ConversationKey Key = new("acme", "7:87");
    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-03-10T13:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    private static TenantOptions Tenant(int maxMessage = 4000, int maxPrompt = 16000, string? systemPrompt = null, int maxContext = 20) => new()
    {
        Id = "acme",
        Platform = PlatformKind.Chatwoot,
        Ai = new AiOptions { MaxMessageChars = maxMessage, MaxPromptChars = maxPrompt, SystemPrompt = systemPrompt, MaxContextMessages = maxContext },
    };

    private static TranscriptEntry Entry(int i, int length, TranscriptRole role = TranscriptRole.Customer) =>
        new(role, $"m{i}:" + new string('x', Math.Max(0, length - $"m{i}:".Length)), T0.AddSeconds(i));

    [Fact]
    public void A_text_over_the_cap_is_cut_to_the_cap_and_marked()
    {
        var capped = TranscriptText.Cap(new string('a', 10_000), 4000);

        Assert.Equal(4000, capped.Length);
        Assert.EndsWith("…[cut]", capped);
        Assert.True(TranscriptText.IsCut(capped));
        Assert.Same("short", TranscriptText.Cap("short", 4000));
    }

    [Fact]
    public void A_cut_never_splits_a_surrogate_pair()
    {
        var text = new string('a', 93) + "😀" + new string('b', 100);

        var capped = TranscriptText.Cap(text, 100);

        Assert.True(System.Text.Unicode.Utf8.IsValid(System.Text.Encoding.UTF8.GetBytes(capped)));
        Assert.DoesNotContain(capped, c => char.IsSurrogate(c));
        Assert.Equal(new string('a', 93) + "…[cut]", capped);
    }

    [Fact]
    public void Every_text_and_fact_the_ai_gets_is_capped()
    {
        var transcript = new[] { Entry(1, 50_000), Entry(2, 20) };
        var context = new Dictionary<string, string> { ["contact.name"] = new string('n', 9_000), ["inbox.name"] = "Chat" };

        var request = PromptBudget.Request(Key, Tenant(maxMessage: 1000, maxPrompt: 100_000), transcript, context, AiPurpose.Reply, out var trimmed);

        Assert.Equal([1000, 20], request.Transcript.Select(e => e.Text.Length));
        Assert.EndsWith(TranscriptText.CutMarker, request.Transcript[0].Text);
        Assert.Equal(1000, request.Context["contact.name"].Length);
        Assert.Equal("Chat", request.Context["inbox.name"]);
        Assert.Equal(new PromptBudget.Trimmed(0, 0, 2), trimmed);
    }

    [Fact]
    public void Over_the_budget_the_oldest_entries_go_first_and_the_rest_keep_their_order()
    {
        var transcript = Enumerable.Range(1, 10).Select(i => Entry(i, 1000, i % 2 == 0 ? TranscriptRole.Bot : TranscriptRole.Customer)).ToArray();

        // 10 x 1000 characters and a 500-character system prompt in a budget of 4600: the last four fit.
        var request = PromptBudget.Request(Key, Tenant(maxMessage: 1000, maxPrompt: 4600, systemPrompt: new string('s', 500)), transcript, new Dictionary<string, string>(), AiPurpose.Reply, out var trimmed);

        Assert.Equal(["m7", "m8", "m9", "m10"], request.Transcript.Select(e => e.Text.Split(':')[0]));
        Assert.Equal(6, trimmed.DroppedEntries);
        Assert.True(4600 >= 500 + request.Transcript.Sum(e => e.Text.Length));
    }

    [Fact]
    public void The_newest_entry_is_always_sent_and_facts_go_once_no_older_entry_is_left()
    {
        var transcript = new[] { Entry(1, 900), Entry(2, 1000) };
        var context = new Dictionary<string, string> { ["big"] = new string('b', 900), ["small"] = "s" };

        var request = PromptBudget.Request(Key, Tenant(maxMessage: 1000, maxPrompt: 1100), transcript, context, AiPurpose.Reply, out var trimmed);

        Assert.Equal("m2", Assert.Single(request.Transcript).Text.Split(':')[0]);
        Assert.Equal(["small"], request.Context.Keys);
        Assert.Equal(new PromptBudget.Trimmed(1, 1, 0), trimmed);
    }

    [Fact]
    public void Only_the_last_max_context_messages_are_considered()
    {
        var transcript = Enumerable.Range(1, 30).Select(i => Entry(i, 10)).ToArray();

        var request = PromptBudget.Request(Key, Tenant(maxContext: 5), transcript, new Dictionary<string, string>(), AiPurpose.Reply, out var trimmed);

        Assert.Equal(["m26", "m27", "m28", "m29", "m30"], request.Transcript.Select(e => e.Text.Split(':')[0]));
        Assert.False(trimmed.Any);
    }

    [Fact]
    public async Task An_oversized_customer_message_is_kept_and_sent_to_the_ai_capped()
    {
        // Not the default (4000): the tenant's cap is the one applied.
        var h = new GrainHarness(t => t.Ai.MaxMessageChars = 3000);
        var huge = "Where is my order? " + new string('x', 1_000_000);

        await h.TurnAsync(h.Customer(huge));

        var stored = h.State.Transcript.First(t => t.Role == TranscriptRole.Customer).Text;
        Assert.Equal(3000, stored.Length);
        Assert.StartsWith("Where is my order? xxx", stored);
        Assert.EndsWith("…[cut]", stored);
        var sent = Assert.Single(Assert.Single(h.Ai.Requests).Transcript);
        Assert.Equal(stored, sent.Text);
    }

    [Theory]
    [InlineData(99, 16000, null, "Ai:MaxMessageChars")]
    [InlineData(4000, 3999, null, "Ai:MaxPromptChars")]
    [InlineData(4000, 4100, "a system prompt longer than one hundred characters, which leaves less than Ai:MaxMessageChars for the newest message", "Ai:MaxPromptChars")]
    public void Caps_that_cannot_hold_the_newest_message_are_refused_naming_the_key(int maxMessage, int maxPrompt, string? systemPrompt, string key)
    {
        var problems = Tenant(maxMessage, maxPrompt, systemPrompt).Validate(0).ToList();

        Assert.Contains(problems, p => p.StartsWith("Conversations:Tenants:0:" + key, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(100, 100, null)]
    [InlineData(4000, 4000, null)]
    [InlineData(4000, 4014, "fourteen chars")]
    public void Caps_that_just_hold_the_newest_message_beside_the_system_prompt_are_accepted(int maxMessage, int maxPrompt, string? systemPrompt)
    {
        var problems = Tenant(maxMessage, maxPrompt, systemPrompt).Validate(0).ToList();

        Assert.DoesNotContain(problems, p => p.Contains("MaxPromptChars", StringComparison.Ordinal) || p.Contains("MaxMessageChars", StringComparison.Ordinal));
    }
}
