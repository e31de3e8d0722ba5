namespace Conversations.Runtime;

/// <summary>Settings under <c>Conversations:Runtime</c>.</summary>
public sealed class RuntimeOptions
{
    /// <summary>An activation idle this long is deactivated (its state is already committed).</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often idle activations are looked for. Defaults to a tenth of <see cref="IdleTimeout"/>, between 1 s and 1 min.</summary>
    public TimeSpan? CollectionInterval { get; set; }

    /// <summary>Live activations above this are deactivated, least recently used idle ones first.</summary>
    public int MaxActivations { get; set; } = 200_000;

    /// <summary>At most this many pending events go into one turn.</summary>
    public int MaxEventsPerTurn { get; set; } = 256;

    /// <summary>Delay before a turn that threw is tried again (doubles up to a minute).</summary>
    public TimeSpan TurnRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    public OutboxOptions Outbox { get; set; } = new();

    internal TimeSpan EffectiveCollectionInterval =>
        CollectionInterval ?? TimeSpan.FromTicks(Math.Clamp(IdleTimeout.Ticks / 10, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));

    public IEnumerable<string> Validate()
    {
        if (IdleTimeout <= TimeSpan.Zero) yield return "Conversations:Runtime:IdleTimeout must be positive.";
        if (MaxActivations < 1) yield return "Conversations:Runtime:MaxActivations must be at least 1.";
        if (MaxEventsPerTurn < 1) yield return "Conversations:Runtime:MaxEventsPerTurn must be at least 1.";
        if (TurnRetryDelay <= TimeSpan.Zero) yield return "Conversations:Runtime:TurnRetryDelay must be positive.";
        foreach (var problem in Outbox.Validate()) yield return problem;
    }
}

/// <summary>Settings under <c>Conversations:Runtime:Outbox</c>.</summary>
public sealed class OutboxOptions
{
    /// <summary>Attempts (the first send included) before an action is parked.</summary>
    public int MaxAttempts { get; set; } = 8;

    /// <summary>Backoff after the first failed attempt; doubles per attempt, with jitter, up to <see cref="MaxBackoff"/>.</summary>
    public TimeSpan InitialBackoff { get; set; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxBackoff { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often the store is swept for due actions (retries, and actions left by a dead silo).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(5);

    public IEnumerable<string> Validate()
    {
        if (MaxAttempts < 1) yield return "Conversations:Runtime:Outbox:MaxAttempts must be at least 1.";
        if (InitialBackoff <= TimeSpan.Zero || MaxBackoff < InitialBackoff) yield return "Conversations:Runtime:Outbox: need 0 < InitialBackoff <= MaxBackoff.";
        if (SweepInterval <= TimeSpan.Zero) yield return "Conversations:Runtime:Outbox:SweepInterval must be positive.";
    }
}

/// <summary>Settings under <c>Conversations:Store</c>.</summary>
public sealed class StoreOptions
{
    public string Provider { get; set; } = "Memory";
    public string? ConnectionString { get; set; }

    /// <summary>How long a dedupe key keeps dropping repeats (Engage retries for up to 24 h).</summary>
    public TimeSpan DedupeWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Sent actions kept per conversation for the admin view (Memory store).</summary>
    public int SentActionsKept { get; set; } = 20;
}
