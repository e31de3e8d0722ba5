namespace Conversations.Grains.Conversation;

/// <summary>
/// The inactivity countdown of a bot episode (<see cref="LifecycleOptions"/>), part of the committed
/// <see cref="ConversationState"/>. Armed when the bot answers; each step is cleared in the same
/// write that commits the actions it decided, so a due time is acted on once whatever wakes the
/// conversation, however late, and however often.
/// </summary>
public sealed class InactivityCountdown
{
    /// <summary>The bot's answer the countdown counts from.</summary>
    public DateTimeOffset Since { get; set; }

    /// <summary>When the follow-up is due; null: none configured, or already decided.</summary>
    public DateTimeOffset? FollowUpAt { get; set; }

    /// <summary>When the follow-up was decided (null: not yet).</summary>
    public DateTimeOffset? FollowedUpAt { get; set; }

    /// <summary>When the conversation is resolved; null: never.</summary>
    public DateTimeOffset? ResolveAt { get; set; }
}

/// <summary>What falls due in a countdown, in order: the follow-up first, then the resolve.</summary>
public enum InactivityStep { None, FollowUp, Resolve }

/// <summary>The countdown's rules, apart from the policy that applies them (plain functions of options, state and time).</summary>
public static class Inactivity
{
    public const string FollowUpKind = "inactivity.follow_up";
    public const string ResolveKind = "inactivity.resolve";

    /// <summary>The countdown the bot's answer at <paramref name="answeredAt"/> starts; null when the tenant has none.</summary>
    public static InactivityCountdown? Arm(LifecycleOptions options, DateTimeOffset answeredAt) =>
        options.Enabled
            ? new InactivityCountdown
            {
                Since = answeredAt,
                FollowUpAt = options.FollowsUp ? answeredAt + options.FollowUpAfter : null,
                ResolveAt = options.Resolves ? answeredAt + options.ResolveAfter : null,
            }
            : null;

    /// <summary>The step due at <paramref name="now"/>: one at a time, the follow-up before the resolve.</summary>
    public static InactivityStep Due(InactivityCountdown? countdown, DateTimeOffset now) => countdown switch
    {
        { FollowUpAt: { } at } when at <= now => InactivityStep.FollowUp,
        { FollowUpAt: null, ResolveAt: { } at } when at <= now => InactivityStep.Resolve,
        _ => InactivityStep.None,
    };

    /// <summary>
    /// The follow-up was decided at <paramref name="now"/>. When it went out late (the cluster was down at its
    /// due time) the resolve moves by as much: the customer always gets ResolveAfter - FollowUpAfter to answer it.
    /// </summary>
    public static void FollowedUp(InactivityCountdown countdown, LifecycleOptions options, DateTimeOffset now)
    {
        countdown.FollowUpAt = null;
        countdown.FollowedUpAt = now;
        if (countdown.ResolveAt is { } resolveAt && options.Resolves && options.FollowsUp)
        {
            var grace = now + (options.ResolveAfter - options.FollowUpAfter);
            if (grace > resolveAt) countdown.ResolveAt = grace;
        }
    }

    /// <summary>What is still to come, for the host to schedule and the admin view to show.</summary>
    public static IReadOnlyList<Countdown> Pending(InactivityCountdown? countdown)
    {
        if (countdown is null) return [];
        var pending = new List<Countdown>(2);
        if (countdown.FollowUpAt is { } followUp) pending.Add(new Countdown(FollowUpKind, followUp));
        if (countdown.ResolveAt is { } resolve) pending.Add(new Countdown(ResolveKind, resolve));
        return pending;
    }
}
