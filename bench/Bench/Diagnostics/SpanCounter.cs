using System.Collections.Concurrent;
using System.Diagnostics;

namespace Conversations.Bench.Diagnostics;

/// <summary>
/// Counts the spans this process makes, by source and name, without changing which are made: it samples nothing
/// itself, and an ActivitySource tells every listener of the activities another listener (OpenTelemetry) asked for.
/// </summary>
public sealed class SpanCounter : IDisposable
{
    private readonly ConcurrentDictionary<(string Source, string Name), long> _counts = new();
    private readonly ActivityListener _listener;
    private volatile bool _recording;

    public SpanCounter()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = _ => true,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
            ActivityStarted = activity => { if (_recording) _counts.AddOrUpdate((activity.Source.Name, activity.OperationName), 1, (_, n) => n + 1); },
        };
        ActivitySource.AddActivityListener(_listener);
    }

    public void Start() => _recording = true;

    public void Stop() => _recording = false;

    public void Print(int operations)
    {
        Console.WriteLine($"  spans per operation: {_counts.Values.Sum() / (double)Math.Max(1, operations):F1}");
        foreach (var ((source, name), count) in _counts.OrderByDescending(c => c.Value))
            Console.WriteLine($"    {count / (double)Math.Max(1, operations),6:F2}  {source} / {name}");
    }

    public void Dispose() => _listener.Dispose();
}
