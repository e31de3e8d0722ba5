namespace Conversations.Runtime.Cluster;

/// <summary>
/// Deadline arithmetic of the silo lease, on the local monotonic clock. The database grants a lease
/// until (its time of the renew) + TTL, and moves the shards only after that + grace. The silo counts
/// from when it *sent* the renew, which is no later than the database's time of it, and stops at
/// TTL − margin: so it stops before anyone may take over, whatever the network delay (River, §4.1).
/// </summary>
public readonly record struct LeaseClock(TimeSpan Ttl, TimeSpan Margin)
{
    /// <summary>The local timestamp until which a lease renewed by a request sent at <paramref name="sentAt"/> is trusted.</summary>
    public long TrustedUntil(long sentAt, long timestampFrequency) =>
        sentAt + (long)((Ttl - Margin).TotalSeconds * timestampFrequency);

    /// <summary>Time left before <paramref name="trustedUntil"/> (zero or negative once passed).</summary>
    public static TimeSpan Remaining(long trustedUntil, long now, long timestampFrequency) =>
        TimeSpan.FromSeconds((double)(trustedUntil - now) / timestampFrequency);

    /// <summary>The earliest time (after the renew) another silo can take over: TTL + grace.</summary>
    public static TimeSpan TakeoverAfter(TimeSpan ttl, TimeSpan grace) => ttl + grace;
}
