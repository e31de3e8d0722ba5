using System.Globalization;
using System.Text.RegularExpressions;

namespace Conversations;

/// <summary>
/// A tenant's business hours as a pure calculator over instants (<see cref="BusinessHoursOptions"/> parsed once).
/// An instant is inside the hours when its wall-clock time in the zone falls in a span of that weekday and its
/// date is not closed. Across a daylight-saving change the spans follow the clock: a span that starts in a
/// skipped hour opens when the clock jumps past its start, and a repeated hour is inside a span on both passes.
/// </summary>
public sealed partial class BusinessHours
{
    private static readonly TimeSpan Midnight = TimeSpan.FromDays(1);

    private readonly Span[][] _weekly; // by DayOfWeek, sorted by start
    private readonly HashSet<DateOnly> _closed;
    private readonly string _format;

    private BusinessHours(TimeZoneInfo zone, Span[][] weekly, HashSet<DateOnly> closed, string format)
    {
        Zone = zone;
        _weekly = weekly;
        _closed = closed;
        _format = format;
    }

    /// <summary>Wall-clock times of one day, end excluded (24:00 is midnight at the end of the day).</summary>
    public readonly record struct Span(TimeSpan Start, TimeSpan End);

    public TimeZoneInfo Zone { get; }

    [GeneratedRegex(@"^([0-9]{1,2}):([0-9]{2})\s*-\s*([0-9]{1,2}):([0-9]{2})$")]
    private static partial Regex SpanPattern();

    /// <summary>
    /// Parses <paramref name="options"/>; null with every problem (each naming its key under <paramref name="at"/>)
    /// when they are invalid.
    /// </summary>
    public static BusinessHours? Parse(BusinessHoursOptions options, string at, out IReadOnlyList<string> problems)
    {
        var found = new List<string>();
        problems = found;

        TimeZoneInfo? zone = null;
        if (string.IsNullOrWhiteSpace(options.TimeZone)) found.Add($"{at}:TimeZone is required with {at}:Weekly (an IANA id, e.g. Europe/Paris).");
        else
        {
            try { zone = TimeZoneInfo.FindSystemTimeZoneById(options.TimeZone.Trim()); }
            catch (Exception ex) when (ex is TimeZoneNotFoundException or InvalidTimeZoneException or ArgumentException)
            {
                found.Add($"{at}:TimeZone '{options.TimeZone}' is not a time zone this system knows (an IANA id, e.g. Europe/Paris).");
            }
        }

        var weekly = new List<Span>[7];
        for (var d = 0; d < 7; d++) weekly[d] = [];
        foreach (var (name, value) in options.Weekly)
        {
            var day = Enum.GetNames<DayOfWeek>().FirstOrDefault(n => string.Equals(n, name.Trim(), StringComparison.OrdinalIgnoreCase));
            if (day is null)
            {
                found.Add($"{at}:Weekly:{name} is not a day of the week (Monday, Tuesday, ... Sunday).");
                continue;
            }
            if (!TryParseSpans(value, out var spans))
            {
                found.Add($"{at}:Weekly:{day} '{value}' is not a list of spans: use HH:mm-HH:mm with the end after the start (24:00 for midnight), several separated by commas, or 'closed'.");
                continue;
            }
            weekly[(int)Enum.Parse<DayOfWeek>(day)].AddRange(spans);
        }
        if (options.Weekly.Count > 0 && weekly.All(w => w.Count == 0) && found.Count == 0)
            found.Add($"{at}:Weekly opens on no day: give at least one day a span (e.g. Monday: 09:00-17:00).");

        var closed = new HashSet<DateOnly>();
        for (var i = 0; i < options.Closed.Count; i++)
        {
            if (DateOnly.TryParseExact(options.Closed[i]?.Trim(), "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)) closed.Add(date);
            else found.Add($"{at}:Closed:{i} '{options.Closed[i]}' is not a date (yyyy-MM-dd).");
        }

        if (!Enum.IsDefined(options.OutsideAction))
            found.Add($"{at}:OutsideAction must be one of: {string.Join(", ", Enum.GetNames<OutsideHoursAction>())}.");
        try { _ = DateTimeOffset.UnixEpoch.ToString(options.OpeningFormat, CultureInfo.InvariantCulture); }
        catch (FormatException)
        {
            found.Add($"{at}:OpeningFormat '{options.OpeningFormat}' is not a .NET date and time format (e.g. dddd d MMMM, HH:mm).");
        }

        if (found.Count > 0 || zone is null) return null;
        return new BusinessHours(zone, [.. weekly.Select(w => w.OrderBy(s => s.Start).ToArray())], closed, options.OpeningFormat);
    }

    /// <summary>"09:00-12:00, 13:00-17:00"; empty or "closed" is no span.</summary>
    public static bool TryParseSpans(string? text, out IReadOnlyList<Span> spans)
    {
        var list = new List<Span>();
        spans = list;
        if (string.IsNullOrWhiteSpace(text) || string.Equals(text.Trim(), "closed", StringComparison.OrdinalIgnoreCase)) return true;
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            var match = SpanPattern().Match(part);
            if (!match.Success) return false;
            var start = Time(match.Groups[1].Value, match.Groups[2].Value);
            var end = Time(match.Groups[3].Value, match.Groups[4].Value);
            if (start is not { } s || end is not { } e || s >= Midnight || e > Midnight || e <= s) return false;
            list.Add(new Span(s, e));
        }
        return true;

        static TimeSpan? Time(string hours, string minutes)
        {
            var h = int.Parse(hours, CultureInfo.InvariantCulture);
            var m = int.Parse(minutes, CultureInfo.InvariantCulture);
            return m > 59 || h > 24 || (h == 24 && m > 0) ? null : new TimeSpan(h, m, 0);
        }
    }

    /// <summary>Whether <paramref name="instant"/> is inside the hours.</summary>
    public bool IsOpenAt(DateTimeOffset instant)
    {
        var local = TimeZoneInfo.ConvertTime(instant, Zone);
        if (_closed.Contains(DateOnly.FromDateTime(local.DateTime))) return false;
        var time = local.TimeOfDay;
        foreach (var span in _weekly[(int)local.DayOfWeek])
            if (time >= span.Start && time < span.End) return true;
        return false;
    }

    /// <summary>
    /// The first instant at or after <paramref name="from"/> inside the hours (<paramref name="from"/> itself when open);
    /// null only when no span can ever open (every span inside a skipped hour).
    /// </summary>
    public DateTimeOffset? NextOpening(DateTimeOffset from)
    {
        if (IsOpenAt(from)) return from;
        var first = DateOnly.FromDateTime(TimeZoneInfo.ConvertTime(from, Zone).DateTime);
        // Every week has an open weekday, and each closed date removes at most one day: this many days hold an opening.
        var horizon = 7 * (_closed.Count + 1) + 1;
        for (var d = 0; d <= horizon; d++)
        {
            var date = first.AddDays(d);
            if (_closed.Contains(date)) continue;
            foreach (var span in _weekly[(int)date.DayOfWeek])
                foreach (var candidate in InstantsAt(date.ToDateTime(TimeOnly.MinValue) + span.Start))
                    if (candidate > from && IsOpenAt(candidate)) return candidate;
        }
        return null;
    }

    /// <summary><paramref name="instant"/> as the tenant writes it: in the zone, with BusinessHours:OpeningFormat.</summary>
    public string Format(DateTimeOffset instant) => TimeZoneInfo.ConvertTime(instant, Zone).ToString(_format, CultureInfo.InvariantCulture);

    /// <summary>
    /// The instants when the clock first reads <paramref name="wall"/>, earliest first: one, two in a repeated hour,
    /// or, in a skipped hour, the moment the clock jumps past it.
    /// </summary>
    private IEnumerable<DateTimeOffset> InstantsAt(DateTime wall)
    {
        if (Zone.IsInvalidTime(wall))
        {
            // Walk back to the first skipped minute: the jump happens then, at the offset in force before it.
            var skipped = wall;
            for (var i = 0; i < 48 * 60 && Zone.IsInvalidTime(skipped.AddMinutes(-1)); i++) skipped = skipped.AddMinutes(-1);
            yield return new DateTimeOffset(skipped, Zone.GetUtcOffset(skipped.AddMinutes(-1)));
        }
        else if (Zone.IsAmbiguousTime(wall))
        {
            foreach (var offset in Zone.GetAmbiguousTimeOffsets(wall).OrderByDescending(o => o)) yield return new DateTimeOffset(wall, offset);
        }
        else yield return new DateTimeOffset(wall, Zone.GetUtcOffset(wall));
    }
}
