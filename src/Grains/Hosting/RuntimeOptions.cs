using Microsoft.Extensions.Options;

namespace Conversations.Grains.Hosting;

/// <summary>How conversation grains run turns and send actions, under <c>Conversations:Runtime</c>.</summary>
public sealed class RuntimeOptions
{
    public const string Section = "Conversations:Runtime";

    /// <summary>An activation idle this long is collected by Orleans (<c>GrainCollectionOptions.CollectionAge</c>); its state is already written.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>At most this many inbox events go into one turn.</summary>
    public int MaxEventsPerTurn { get; set; } = 256;

    /// <summary>Delay before a turn that threw is tried again (doubles up to a minute).</summary>
    public TimeSpan TurnRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public OutboxOptions Outbox { get; set; } = new();

    public RedriveOptions Redrive { get; set; } = new();
}

/// <summary>Settings under <c>Conversations:Runtime:Outbox</c>: retries of actions the platform refused for now.</summary>
public sealed class OutboxOptions
{
    /// <summary>Attempts (the first send included) before an action is parked.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Backoff after the first failed attempt; doubles per attempt, with jitter, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(5);
}

/// <summary>Settings under <c>Conversations:Runtime:Redrive</c>: waking conversations whose wake was lost.</summary>
public sealed class RedriveOptions
{
    /// <summary>How often each silo looks for unconsumed inbox events.</summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Only events unconsumed this long are re-driven: a conversation waiting for a slow AI is not
    /// woken again and again (its turn is running; a wake would just queue behind it).
    /// </summary>
    public TimeSpan After { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Conversations woken per sweep at most (the oldest first).</summary>
    public int MaxPerSweep { get; set; } = 10_000;
}

internal sealed class RuntimeOptionsValidator : IValidateOptions<RuntimeOptions>
{
    public ValidateOptionsResult Validate(string? name, RuntimeOptions options)
    {
        var problems = new List<string>();
        const string s = RuntimeOptions.Section;
        if (options.IdleTimeout <= TimeSpan.Zero) problems.Add($"{s}:IdleTimeout must be positive.");
        if (options.MaxEventsPerTurn < 1) problems.Add($"{s}:MaxEventsPerTurn must be at least 1.");
        if (options.TurnRetryDelay <= TimeSpan.Zero) problems.Add($"{s}:TurnRetryDelay must be positive.");
        if (options.Outbox.MaxAttempts < 1) problems.Add($"{s}:Outbox:MaxAttempts must be at least 1.");
        if (options.Outbox.InitialBackoff <= TimeSpan.Zero || options.Outbox.MaxBackoff < options.Outbox.InitialBackoff)
            problems.Add($"{s}:Outbox: need 0 < InitialBackoff <= MaxBackoff.");
        if (options.Redrive.Interval <= TimeSpan.Zero) problems.Add($"{s}:Redrive:Interval must be positive.");
        if (options.Redrive.After < TimeSpan.Zero) problems.Add($"{s}:Redrive:After must not be negative.");
        if (options.Redrive.MaxPerSweep < 1) problems.Add($"{s}:Redrive:MaxPerSweep must be at least 1.");
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
