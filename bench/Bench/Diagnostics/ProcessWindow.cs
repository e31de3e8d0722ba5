using System.Diagnostics;

namespace Conversations.Bench.Diagnostics;

/// <summary>
/// What the whole process spent over a measured window: CPU time, bytes allocated, collections per
/// generation and the time the GC paused the process. A p99 on two cores moves with these, so the
/// scenarios print them next to their latencies.
/// </summary>
public readonly record struct ProcessWindow(TimeSpan Cpu, long Allocated, int Gen0, int Gen1, int Gen2, TimeSpan Paused, TimeSpan Elapsed)
{
    public static ProcessWindow Start() => Sample();

    /// <summary>The difference between now and this start.</summary>
    public ProcessWindow Stop()
    {
        var now = Sample();
        return new ProcessWindow(now.Cpu - Cpu, now.Allocated - Allocated, now.Gen0 - Gen0, now.Gen1 - Gen1, now.Gen2 - Gen2, now.Paused - Paused, now.Elapsed - Elapsed);
    }

    public string Describe(int operations) =>
        $"CPU {Cpu.TotalSeconds:F1} s ({100 * Cpu.TotalSeconds / Elapsed.TotalSeconds / Environment.ProcessorCount:F0}% of {Environment.ProcessorCount} cores), " +
        $"{Cpu.TotalMicroseconds / Math.Max(1, operations):F0} µs and {Allocated / 1024.0 / Math.Max(1, operations):F1} KiB per operation, " +
        $"collections {Gen0}/{Gen1}/{Gen2} (gen0+/gen1+/gen2), paused {Paused.TotalMilliseconds:F0} ms";

    /// <summary>The last ephemeral and background collections: what a pause cost and what survived it.</summary>
    public static string DescribeLastCollections()
    {
        static string One(GCKind kind)
        {
            var info = GC.GetGCMemoryInfo(kind);
            if (info.Index == 0) return $"{kind}: none";
            var generations = string.Join(" ", info.GenerationInfo.ToArray().Select((g, i) => $"g{i} {g.SizeBeforeBytes / 1048576.0:F0}->{g.SizeAfterBytes / 1048576.0:F0}"));
            return $"{kind} #{info.Index} gen{info.Generation}: paused {info.PauseDurations[0].TotalMilliseconds:F1} ms, promoted {info.PromotedBytes / 1048576.0:F1} MiB, heap {info.HeapSizeBytes / 1048576.0:F0} MiB ({generations} MiB)";
        }
        return One(GCKind.Ephemeral) + "; " + One(GCKind.Background);
    }

    private static ProcessWindow Sample() => new(
        Environment.CpuUsage.TotalTime, GC.GetTotalAllocatedBytes(precise: false),
        GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2), GC.GetTotalPauseDuration(), Stopwatch.GetElapsedTime(0));
}
