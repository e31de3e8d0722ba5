namespace Conversations.Grains.Tests.Cluster;

/// <summary>When the grain (re)registers its countdown reminder: only when it would tick too late, or to move it after a step or a tick.</summary>
public sealed class CountdownReminderScheduleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 10, 13, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);

    [Fact]
    public void An_unknown_schedule_is_registered_and_a_known_one_ticks_on_its_period()
    {
        var schedule = new CountdownReminderSchedule();
        schedule.Activated(impliedByState: false);
        Assert.False(schedule.MayExist);
        Assert.Null(schedule.NextTick(T0));
        Assert.True(schedule.NeedsRegistration(T0.AddMinutes(5), T0, exact: false));

        schedule.Registered(T0.AddMinutes(5), Minute);
        Assert.True(schedule.MayExist);
        Assert.Equal(T0.AddMinutes(5), schedule.NextTick(T0));
        Assert.Equal(T0.AddMinutes(6), schedule.NextTick(T0.AddMinutes(5).AddSeconds(1)));
        Assert.Equal(T0.AddMinutes(7), schedule.NextTick(T0.AddMinutes(7)));
    }

    [Fact]
    public void At_commit_an_earlier_tick_is_enough_and_a_later_one_is_moved()
    {
        var schedule = new CountdownReminderSchedule();
        schedule.Registered(T0.AddMinutes(5), Minute);

        // The bot answered again: the countdown moved later; the early tick will look and move it then.
        Assert.False(schedule.NeedsRegistration(T0.AddMinutes(9), T0.AddMinutes(4), exact: false));
        // A shorter countdown than the one registered for: the reminder would be late.
        Assert.True(schedule.NeedsRegistration(T0.AddMinutes(2), T0, exact: false));
        // Clock differences within the tolerance are not worth a write.
        Assert.False(schedule.NeedsRegistration(T0.AddMinutes(5) - TimeSpan.FromMilliseconds(300), T0, exact: true));
    }

    [Fact]
    public void After_a_step_or_a_tick_the_reminder_moves_to_the_next_due_time()
    {
        var schedule = new CountdownReminderSchedule();
        schedule.Ticked(T0.AddMinutes(5).UtcDateTime, Minute);
        var now = T0.AddMinutes(5).AddSeconds(1);

        Assert.True(schedule.NeedsRegistration(T0.AddMinutes(15), now, exact: true)); // no idle ticks every minute
        Assert.True(schedule.NeedsRegistration(T0.AddMinutes(5).AddSeconds(20), now, exact: true)); // the next tick would be 40 s late
        Assert.False(schedule.NeedsRegistration(T0.AddMinutes(6), now, exact: true));
    }

    [Fact]
    public void Unregistered_forgets_the_schedule_and_state_implies_a_reminder_on_activation()
    {
        var schedule = new CountdownReminderSchedule();
        schedule.Registered(T0, Minute);
        schedule.Unregistered();
        Assert.False(schedule.MayExist);
        Assert.Null(schedule.NextTick(T0));

        schedule.Activated(impliedByState: true);
        Assert.True(schedule.MayExist);
        Assert.True(schedule.NeedsRegistration(T0, T0, exact: false));
    }
}
