namespace Conversations.Runtime.Cluster;

/// <summary>
/// The PostgreSQL cluster (<c>Conversations:Cluster</c>). Defaults follow runtime-design.md: TTL 15 s,
/// renew every 5 s, margin 2 s, grace 3 s. All expiry is decided on the database clock; a silo trusts
/// its lease for <see cref="LeaseTtl"/> − <see cref="LeaseMargin"/> counted from when the renew was sent.
/// </summary>
public sealed class ClusterOptions
{
    public const string SectionName = "Conversations:Cluster";

    /// <summary>Shards conversations are hashed into. Fixed for the life of a cluster (checked at start-up).</summary>
    public int ShardCount { get; set; } = 1024;

    /// <summary>How long a renewed silo lease lasts, in database time.</summary>
    public TimeSpan LeaseTtl { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>How often a silo renews its lease (and reads the shards it owns).</summary>
    public TimeSpan RenewInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A silo stops trusting its lease this long before it would expire (self-fencing).</summary>
    public TimeSpan LeaseMargin { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Extra wait after a lease expired before the coordinator declares the silo dead and moves its shards.</summary>
    public TimeSpan FailoverGrace { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>How often the coordinator looks for dead silos, orphaned shards and expired handoffs.</summary>
    public TimeSpan CoordinatorInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How often the coordinator considers a scale-up rebalance.</summary>
    public TimeSpan RebalanceInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Membership must be unchanged (no joins, drains, deaths or late heartbeats) this long before a rebalance.</summary>
    public TimeSpan StableMembershipFor { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Shards moved per rebalance round; default max(1, ShardCount / 10).</summary>
    public int? MaxMovesPerRound { get; set; }

    /// <summary>A requested handoff not released by its owner within this is forced by the coordinator.</summary>
    public TimeSpan HandoffDeadline { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an owner waits for turns in flight (and their sends) before releasing a shard it hands off.</summary>
    public TimeSpan HandoffTurnTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Graceful drain budget on SIGTERM: shards are handed to other silos in batches, and whatever is
    /// still owned when this runs out is released (not left to expire). Keep it below the host's shutdown timeout.
    /// </summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Shards handed off together during a drain.</summary>
    public int DrainBatchSize { get; set; } = 128;

    /// <summary>The polling fallback of wake-ups: owned shards are swept for pending events this often.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>At most this many conversations are woken per poll.</summary>
    public int PollBatchSize { get; set; } = 2000;

    /// <summary>Dead silo rows are deleted this long after their lease expired.</summary>
    public TimeSpan DeadSiloRetention { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Name recorded in the silo row (default: machine name and process id).</summary>
    public string? HostName { get; set; }

    internal int EffectiveMaxMoves => MaxMovesPerRound ?? Math.Max(1, ShardCount / 10);

    internal string EffectiveHostName => string.IsNullOrWhiteSpace(HostName) ? $"{Environment.MachineName}:{Environment.ProcessId}" : HostName;

    public IEnumerable<string> Validate()
    {
        const string s = SectionName;
        if (ShardCount is < 1 or > 1_000_000) yield return $"{s}:ShardCount must be between 1 and 1000000.";
        if (LeaseTtl < TimeSpan.FromMilliseconds(300)) yield return $"{s}:LeaseTtl must be at least 300 ms.";
        if (RenewInterval <= TimeSpan.Zero || RenewInterval * 3 > LeaseTtl) yield return $"{s}:RenewInterval must be positive and at most LeaseTtl / 3.";
        if (LeaseMargin <= TimeSpan.Zero || LeaseMargin >= LeaseTtl - RenewInterval) yield return $"{s}:LeaseMargin must be positive and below LeaseTtl - RenewInterval.";
        if (FailoverGrace < TimeSpan.Zero) yield return $"{s}:FailoverGrace must not be negative.";
        if (CoordinatorInterval <= TimeSpan.Zero) yield return $"{s}:CoordinatorInterval must be positive.";
        if (RebalanceInterval <= TimeSpan.Zero) yield return $"{s}:RebalanceInterval must be positive.";
        if (StableMembershipFor < TimeSpan.Zero) yield return $"{s}:StableMembershipFor must not be negative.";
        if (MaxMovesPerRound is < 1) yield return $"{s}:MaxMovesPerRound must be at least 1.";
        if (HandoffTurnTimeout <= TimeSpan.Zero || HandoffDeadline <= HandoffTurnTimeout) yield return $"{s}: need 0 < HandoffTurnTimeout < HandoffDeadline.";
        if (DrainTimeout <= TimeSpan.Zero) yield return $"{s}:DrainTimeout must be positive.";
        if (DrainBatchSize < 1) yield return $"{s}:DrainBatchSize must be at least 1.";
        if (PollInterval <= TimeSpan.Zero) yield return $"{s}:PollInterval must be positive.";
        if (PollBatchSize < 1) yield return $"{s}:PollBatchSize must be at least 1.";
        if (DeadSiloRetention < TimeSpan.Zero) yield return $"{s}:DeadSiloRetention must not be negative.";
    }
}
