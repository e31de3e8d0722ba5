namespace Conversations.Grains;

/// <summary>
/// What an activation knows of its conversation's countdown reminder, and when to (re)register it.
/// The reminder is the countdowns' durable trigger: it outlives the activation, its silo and a restart
/// of the whole cluster, but ticks at most once a period (a minute); a grain timer gives the exact
/// due time while the activation lives. The grain registers before it commits a countdown the
/// reminder would tick too late for, and unregisters only once nothing is left to do, so a
/// committed countdown always has a reminder that ticks by its due time, or within a period of it
/// when a tick was missed (the silo that ran it died at that moment).
/// </summary>
public sealed class CountdownReminderSchedule
{
    public const string ReminderName = "countdown";

    /// <summary>Clock differences between the grain and the reminder service that do not call for a new registration.</summary>
    public static readonly TimeSpan Tolerance = TimeSpan.FromSeconds(1);

    private DateTimeOffset? _firstTick;
    private TimeSpan _period;

    /// <summary>A reminder may be registered: this activation registered it or saw it tick, or the committed state implied it.</summary>
    public bool MayExist { get; private set; }

    /// <summary>A new activation knows no schedule; committed countdowns or actions imply a reminder may exist.</summary>
    public void Activated(bool impliedByState)
    {
        _firstTick = null;
        MayExist = impliedByState;
    }

    public void Registered(DateTimeOffset firstTick, TimeSpan period)
    {
        _firstTick = firstTick;
        _period = period;
        MayExist = true;
    }

    /// <summary>A tick says exactly where the schedule stands (the reminder service's own first tick and period).</summary>
    public void Ticked(DateTime firstTickUtc, TimeSpan period) =>
        Registered(new DateTimeOffset(DateTime.SpecifyKind(firstTickUtc, DateTimeKind.Utc)), period);

    public void Unregistered()
    {
        _firstTick = null;
        MayExist = false;
    }

    /// <summary>The first tick at or after <paramref name="now"/>; null when the schedule is unknown.</summary>
    public DateTimeOffset? NextTick(DateTimeOffset now)
    {
        if (_firstTick is not { } first || _period <= TimeSpan.Zero) return null;
        if (first >= now) return first;
        var periods = (now - first).Ticks / _period.Ticks;
        var next = first + TimeSpan.FromTicks(_period.Ticks * periods);
        return next >= now ? next : next + _period;
    }

    /// <summary>
    /// Whether the reminder must be registered to tick at <paramref name="earliest"/>: when its schedule is
    /// unknown, when it would tick later, or, when <paramref name="exact"/> (a step was just taken or a tick just
    /// came: the schedule is worth moving), when it would not tick then. An earlier tick otherwise only costs a
    /// look at the state, and the registration a write per answer saved.
    /// </summary>
    public bool NeedsRegistration(DateTimeOffset earliest, DateTimeOffset now, bool exact)
    {
        if (NextTick(now) is not { } next) return true;
        var target = earliest > now ? earliest : now;
        if (next > target + Tolerance) return true;
        return exact && next < target - Tolerance;
    }
}
