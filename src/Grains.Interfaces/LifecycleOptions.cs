namespace Conversations;

/// <summary>
/// Inactivity (<c>Conversations:Tenants:N:Lifecycle</c>), off by default: while the bot owns a
/// conversation and had the last word, it follows up once after <see cref="FollowUpAfter"/> and
/// resolves the conversation after <see cref="ResolveAfter"/>, both counted from the bot's last
/// answer. A customer message, a human taking over or a status change cancels the countdown.
/// </summary>
public sealed class LifecycleOptions
{
    /// <summary>Countdowns are kept in reminders and state with a date: beyond this a typo (days for minutes) is more likely than intent.</summary>
    public static readonly TimeSpan MaxDelay = TimeSpan.FromDays(90);

    /// <summary>Silence after the bot's answer before the follow-up; zero: no follow-up.</summary>
    public TimeSpan FollowUpAfter { get; set; }

    /// <summary>What the bot says as the follow-up (required with <see cref="FollowUpAfter"/>).</summary>
    public string FollowUpMessage { get; set; } = "";

    /// <summary>Silence after the bot's answer before the conversation is resolved; zero: never.</summary>
    public TimeSpan ResolveAfter { get; set; }

    /// <summary>Said before resolving; empty: nothing.</summary>
    public string ResolveMessage { get; set; } = "";

    public bool FollowsUp => FollowUpAfter > TimeSpan.Zero;
    public bool Resolves => ResolveAfter > TimeSpan.Zero;
    public bool Enabled => FollowsUp || Resolves;

    public IEnumerable<string> Validate(string at)
    {
        if (FollowUpAfter < TimeSpan.Zero || FollowUpAfter > MaxDelay) yield return $"{at}:FollowUpAfter must be between 00:00:00 (no follow-up) and {MaxDelay.TotalDays:F0} days.";
        if (ResolveAfter < TimeSpan.Zero || ResolveAfter > MaxDelay) yield return $"{at}:ResolveAfter must be between 00:00:00 (never) and {MaxDelay.TotalDays:F0} days.";
        if (FollowsUp && string.IsNullOrWhiteSpace(FollowUpMessage)) yield return $"{at}:FollowUpMessage is required when FollowUpAfter is set.";
        if (FollowsUp && Resolves && ResolveAfter <= FollowUpAfter)
            yield return $"{at}:ResolveAfter must be longer than FollowUpAfter (both count from the bot's last answer).";
    }
}
