using System.Collections.Concurrent;
using System.Text.RegularExpressions;

namespace Conversations.Grains.Ai.Rules;

/// <summary>
/// The embedded default AI: the tenant's Ai:Rules (case-insensitive regexes, first match wins) with
/// replies, buttons and a handoff flag. A tenant without rules gets <see cref="DefaultRules"/>.
/// Buttons are written "Title" or "Title=value".
/// </summary>
public sealed class RulesConnector : IAiConnector
{
    public const string FallbackReply = "Thanks for your message! Could you tell me a little more? If you would rather talk to a person, just ask for an agent.";

    public static readonly IReadOnlyList<AiRule> DefaultRules =
    [
        new() { Pattern = @"^\W*(hi|hello|hey|good (morning|afternoon|evening))\b", Reply = "Hello! How can I help you today?" },
        new() { Pattern = @"\b(thanks|thank you)\b", Reply = "You're welcome! Is there anything else I can do for you?" },
        new() { Pattern = ".", Reply = FallbackReply, Buttons = ["Talk to a human=human"] },
    ];

    private static readonly ConcurrentDictionary<string, Regex?> Patterns = new(StringComparer.Ordinal);

    public AiKind Kind => AiKind.Rules;

    public ValueTask<AiReply> RespondAsync(AiRequest request, CancellationToken cancellationToken)
    {
        var text = request.LatestCustomerText();
        var rules = request.Tenant.Ai.Rules.Count > 0 ? request.Tenant.Ai.Rules : DefaultRules;
        foreach (var rule in rules)
        {
            if (Compile(rule.Pattern)?.IsMatch(text) != true) continue;
            var messages = rule.Reply is { Length: > 0 } reply ? [new AiMessage(reply, [.. rule.Buttons.Select(ParseButton)])] : new List<AiMessage>();
            return ValueTask.FromResult(new AiReply(messages, rule.Handoff, rule.Handoff ? $"rule '{rule.Pattern}' hands off" : null));
        }
        return ValueTask.FromResult(AiReply.Text(FallbackReply));
    }

    public static AiButton ParseButton(string spec)
    {
        var at = spec.IndexOf('=');
        return at > 0 ? new AiButton(spec[..at].Trim(), spec[(at + 1)..].Trim()) : new AiButton(spec.Trim(), spec.Trim());
    }

    /// <summary>Null for an invalid pattern (it never matches; tenant validation reports it at start-up).</summary>
    public static Regex? Compile(string pattern) => Patterns.GetOrAdd(pattern, static p =>
    {
        try { return new Regex(p, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromMilliseconds(100)); }
        catch (ArgumentException) { return null; }
    });
}
