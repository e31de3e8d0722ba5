using Microsoft.Extensions.Options;

namespace Conversations.Gateway.Admin.Stats;

/// <summary>The console's live charts, bound from <c>Conversations:Admin:Stats</c>; sampled only while the admin token is set.</summary>
public sealed class LiveStatsOptions
{
    public const string Section = "Conversations:Admin:Stats";

    /// <summary>How often the running totals are read into one sample.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How far back the charts reach; older samples are dropped.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Samples kept: the window over the interval, rounded up.</summary>
    public int Capacity => (int)Math.Ceiling(Window / Interval);
}

internal sealed class LiveStatsOptionsValidator : IValidateOptions<LiveStatsOptions>
{
    private const int MaxSamples = 10_000;
    private static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxInterval = TimeSpan.FromMinutes(5);

    public ValidateOptionsResult Validate(string? name, LiveStatsOptions options)
    {
        if (options.Interval < MinInterval || options.Interval > MaxInterval)
            return ValidateOptionsResult.Fail($"{LiveStatsOptions.Section}:Interval must be between {MinInterval:c} and {MaxInterval:c} (was {options.Interval:c}).");
        if (options.Window < options.Interval || options.Capacity > MaxSamples)
            return ValidateOptionsResult.Fail($"{LiveStatsOptions.Section}:Window must be at least the interval and at most {MaxSamples} intervals (was {options.Window:c}).");
        return ValidateOptionsResult.Success;
    }
}
