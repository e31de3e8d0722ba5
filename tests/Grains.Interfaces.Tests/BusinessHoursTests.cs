using Microsoft.Extensions.Time.Testing;

namespace Conversations.Grains.Interfaces.Tests;

/// <summary>
/// The business-hours calculator in real zones. Europe/Paris in 2026: clocks go forward on Sunday 29 March at 02:00
/// (UTC+1 to UTC+2) and back on Sunday 25 October at 03:00; America/New_York goes forward on Sunday 8 March.
/// </summary>
public sealed class BusinessHoursTests
{
    private static BusinessHours Parse(string zone, Dictionary<string, string> weekly, params string[] closed)
    {
        var options = new BusinessHoursOptions { TimeZone = zone, Weekly = weekly, Closed = [.. closed] };
        var hours = BusinessHours.Parse(options, "BusinessHours", out var problems);
        Assert.Empty(problems);
        return hours!;
    }

    private static Dictionary<string, string> OfficeWeek() => new()
    {
        ["Monday"] = "09:00-17:00",
        ["Tuesday"] = "09:00-17:00",
        ["Wednesday"] = "09:00-17:00",
        ["Thursday"] = "09:00-17:00",
        ["Friday"] = "09:00-12:00, 13:00-17:00",
    };

    private static DateTimeOffset Utc(int month, int day, int hour, int minute = 0) => new(2026, month, day, hour, minute, 0, TimeSpan.Zero);

    [Fact]
    public void A_clock_walked_across_a_weekend_with_the_change_to_summer_time_sees_it_close_on_friday_and_open_on_monday_at_nine_local()
    {
        var hours = Parse("Europe/Paris", OfficeWeek());
        var clock = new FakeTimeProvider(Utc(3, 27, 10)); // Friday 11:00 in Paris (UTC+1)
        var changes = new List<(DateTimeOffset At, bool Open)>();
        var open = hours.IsOpenAt(clock.GetUtcNow());
        while (clock.GetUtcNow() < Utc(3, 30, 12)) // Monday 14:00 in Paris (UTC+2)
        {
            clock.Advance(TimeSpan.FromMinutes(15));
            if (hours.IsOpenAt(clock.GetUtcNow()) != open) changes.Add((clock.GetUtcNow(), open = !open));
        }

        Assert.Equal(
        [
            (Utc(3, 27, 11), false), // Friday 12:00, lunch
            (Utc(3, 27, 12), true),  // Friday 13:00
            (Utc(3, 27, 16), false), // Friday 17:00 (UTC+1)
            (Utc(3, 30, 7), true),   // Monday 09:00 (UTC+2 since Sunday)
        ], changes);
    }

    [Fact]
    public void The_next_opening_after_friday_evening_is_monday_nine_in_summer_time()
    {
        var hours = Parse("Europe/Paris", OfficeWeek());
        var friday = Utc(3, 27, 16, 30); // 17:30 UTC+1
        Assert.False(hours.IsOpenAt(friday));
        Assert.Equal(new DateTimeOffset(2026, 3, 30, 9, 0, 0, TimeSpan.FromHours(2)), hours.NextOpening(friday));
        Assert.Equal("Monday 30 March, 09:00", hours.Format(hours.NextOpening(friday)!.Value));
    }

    [Fact]
    public void A_closed_date_is_skipped_and_its_weekday_hours_do_not_count()
    {
        var hours = Parse("Europe/Paris", OfficeWeek(), "2026-04-06"); // Easter Monday
        Assert.False(hours.IsOpenAt(Utc(4, 6, 10))); // Monday 12:00 local, a working day otherwise
        Assert.True(hours.IsOpenAt(Utc(4, 7, 10)));
        Assert.Equal(Utc(4, 7, 7), hours.NextOpening(Utc(4, 3, 16))); // Friday 18:00 -> Tuesday 09:00
        Assert.Equal(Utc(4, 7, 7), hours.NextOpening(Utc(4, 6, 8)));  // during the closed day itself
    }

    [Fact]
    public void Closed_dates_are_dates_in_the_zone_not_in_utc()
    {
        var hours = Parse("America/New_York", new() { ["Monday"] = "00:00-24:00", ["Tuesday"] = "00:00-24:00" }, "2026-03-10");
        Assert.True(hours.IsOpenAt(Utc(3, 10, 2)));  // Monday 22:00 in New York, Tuesday in UTC
        Assert.False(hours.IsOpenAt(Utc(3, 10, 5))); // Tuesday 01:00 in New York
    }

    [Fact]
    public void New_york_opens_at_nine_local_on_the_monday_after_clocks_go_forward()
    {
        var hours = Parse("America/New_York", new() { ["Monday"] = "09:00-17:00" });
        var fridayEvening = Utc(3, 6, 23); // Friday 18:00 EST (UTC-5)
        Assert.Equal(Utc(3, 9, 13), hours.NextOpening(fridayEvening)); // 09:00 EDT (UTC-4), not 14:00 UTC
    }

    [Fact]
    public void A_span_starting_in_the_skipped_hour_opens_when_the_clock_jumps_past_its_start()
    {
        var hours = Parse("Europe/Paris", new() { ["Sunday"] = "02:30-04:00" });
        Assert.False(hours.IsOpenAt(Utc(3, 29, 0, 59))); // 01:59 UTC+1
        Assert.True(hours.IsOpenAt(Utc(3, 29, 1)));      // 03:00 UTC+2: 02:30 never showed
        Assert.Equal(Utc(3, 29, 1), hours.NextOpening(Utc(3, 29, 0)));
        Assert.False(hours.IsOpenAt(Utc(3, 29, 2)));     // 04:00 UTC+2
    }

    [Fact]
    public void A_span_in_the_repeated_hour_is_open_on_both_passes()
    {
        var hours = Parse("Europe/Paris", new() { ["Sunday"] = "02:15-02:45" });
        Assert.True(hours.IsOpenAt(Utc(10, 25, 0, 20)));  // 02:20 UTC+2, first pass
        Assert.False(hours.IsOpenAt(Utc(10, 25, 0, 50))); // 02:50 UTC+2
        Assert.True(hours.IsOpenAt(Utc(10, 25, 1, 20)));  // 02:20 UTC+1, second pass
        Assert.Equal(Utc(10, 25, 1, 15), hours.NextOpening(Utc(10, 25, 0, 50)));
        Assert.Equal(Utc(10, 25, 0, 15), hours.NextOpening(Utc(10, 24, 23)));
    }

    [Fact]
    public void The_next_opening_when_open_is_now_and_a_span_to_midnight_meets_the_next_day()
    {
        var hours = Parse("UTC", new() { ["Monday"] = "22:00-24:00", ["Tuesday"] = "00:00-02:00" });
        Assert.True(hours.IsOpenAt(Utc(3, 9, 23, 59)));
        Assert.True(hours.IsOpenAt(Utc(3, 10, 0)));
        Assert.False(hours.IsOpenAt(Utc(3, 10, 2)));
        Assert.Equal(Utc(3, 9, 23), hours.NextOpening(Utc(3, 9, 23)));
        Assert.Equal(Utc(3, 16, 22), hours.NextOpening(Utc(3, 10, 2)));
    }

    [Theory]
    [InlineData("09:00-17:00", "09:00-17:00")]
    [InlineData(" 09:00 - 12:00 ,13:00-17:30", "09:00-12:00|13:00-17:30")]
    [InlineData("00:00-24:00", "00:00-1.00:00")]
    [InlineData("9:05-9:10", "09:05-09:10")]
    [InlineData("closed", "")]
    [InlineData("", "")]
    public void Spans_are_read(string text, string expected)
    {
        Assert.True(BusinessHours.TryParseSpans(text, out var spans));
        Assert.Equal(expected, string.Join("|", spans.Select(s => $"{s.Start:hh\\:mm}-{(s.End.Days > 0 ? s.End.ToString("d\\.hh\\:mm") : s.End.ToString("hh\\:mm"))}")));
    }

    [Theory]
    [InlineData("9-17")]
    [InlineData("17:00-09:00")]
    [InlineData("09:00-09:00")]
    [InlineData("09:00-24:30")]
    [InlineData("24:00-24:00")]
    [InlineData("09:60-10:00")]
    [InlineData("09:00-12:00; 13:00-17:00")]
    [InlineData("nine to five")]
    public void Bad_spans_are_refused(string text) => Assert.False(BusinessHours.TryParseSpans(text, out _));
}
