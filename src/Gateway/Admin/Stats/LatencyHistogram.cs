namespace Conversations.Gateway.Admin.Stats;

/// <summary>
/// Durations in milliseconds counted in fixed log-scale buckets: 8 per doubling (each about 9% wide)
/// from 0.125 ms to 262 s, one below and one above. Recording is one interlocked increment and
/// allocates nothing; the percentiles of any interval come from the difference of two snapshots.
/// </summary>
public sealed class LatencyHistogram
{
    private const int PerDoubling = 8;
    private const int LowestExponent = -3;  // 0.125 ms
    private const int HighestExponent = 18; // 262 144 ms

    /// <summary>Bucket 0 holds values under 0.125 ms (and zero, negative or NaN), the last one values from 262 s.</summary>
    public const int BucketCount = 2 + (HighestExponent - LowestExponent) * PerDoubling;

    private readonly long[] _counts = new long[BucketCount];

    public void Record(double milliseconds) => Interlocked.Increment(ref _counts[IndexOf(milliseconds)]);

    /// <summary>A copy of the running counts (each bucket read atomically; a recording in flight may land in the next snapshot).</summary>
    public long[] Snapshot()
    {
        var copy = new long[BucketCount];
        for (var i = 0; i < BucketCount; i++) copy[i] = Volatile.Read(ref _counts[i]);
        return copy;
    }

    public static int IndexOf(double milliseconds)
    {
        if (!(milliseconds >= LowerBound(1))) return 0;
        if (milliseconds >= LowerBound(BucketCount - 1)) return BucketCount - 1;
        var index = 1 + (int)Math.Floor((Math.Log2(milliseconds) - LowestExponent) * PerDoubling);
        return Math.Min(index, BucketCount - 1);
    }

    /// <summary>The smallest value bucket <paramref name="index"/> counts (0 for the first).</summary>
    public static double LowerBound(int index) =>
        index <= 0 ? 0 : Math.Pow(2, LowestExponent + (index - 1) / (double)PerDoubling);

    /// <summary>
    /// The <paramref name="quantile"/> (0..1) of the recordings counted in <paramref name="counts"/>, null
    /// when there are none: the bucket holding that rank, and a position in it proportional to the rank
    /// among the bucket's recordings (geometric, as the buckets are). The last bucket answers its lower bound.
    /// </summary>
    public static double? Quantile(ReadOnlySpan<long> counts, double quantile)
    {
        long total = 0;
        foreach (var count in counts) total += Math.Max(0, count);
        if (total == 0) return null;

        var rank = Math.Max(1, Math.Ceiling(Math.Clamp(quantile, 0, 1) * total));
        long before = 0;
        for (var i = 0; i < counts.Length; i++)
        {
            if (counts[i] <= 0) continue;
            if (before + counts[i] >= rank)
            {
                if (i == counts.Length - 1) return LowerBound(i);
                var position = (rank - before - 0.5) / counts[i];
                var lower = LowerBound(i);
                var upper = LowerBound(i + 1);
                return i == 0 ? upper * position : lower * Math.Pow(upper / lower, position);
            }
            before += counts[i];
        }
        return LowerBound(counts.Length - 1);
    }
}
