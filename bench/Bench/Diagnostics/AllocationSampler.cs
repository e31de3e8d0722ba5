using System.Collections.Concurrent;
using System.Diagnostics.Tracing;

namespace Conversations.Bench.Diagnostics;

/// <summary>
/// Samples allocations in this process through the runtime's AllocationTick event (one event per
/// ~100 KiB allocated, naming the type that crossed the mark): a cheap answer to "what allocates".
/// </summary>
public sealed class AllocationSampler : EventListener
{
    private const int GcKeyword = 0x1;
    private readonly ConcurrentDictionary<string, long> _bytesByType = new(StringComparer.Ordinal);
    private volatile bool _recording;

    public void Start() => _recording = true;

    public void Stop() => _recording = false;

    protected override void OnEventSourceCreated(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Verbose, (EventKeywords)GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        if (!_recording || e.EventName is null || !e.EventName.StartsWith("GCAllocationTick", StringComparison.Ordinal) || e.Payload is null) return;
        var type = e.PayloadNames!.IndexOf("TypeName") is var t and >= 0 ? e.Payload[t] as string ?? "?" : "?";
        var amount = e.PayloadNames.IndexOf("AllocationAmount64") is var a and >= 0 ? Convert.ToInt64(e.Payload[a], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
        _bytesByType.AddOrUpdate(type, amount, (_, total) => total + amount);
    }

    public void Print(int top = 25)
    {
        var total = _bytesByType.Values.Sum();
        Console.WriteLine($"  allocation samples by type (top {top} of {total / 1024 / 1024:N0} MiB sampled):");
        foreach (var (type, bytes) in _bytesByType.OrderByDescending(p => p.Value).Take(top))
            Console.WriteLine($"    {100.0 * bytes / total,5:F1}%  {type}");
    }
}
