using System.Diagnostics.Metrics;

namespace Conversations.Grains.Platforms.Engage;

/// <summary>Counters for the Engage side (meter <c>Conversations.Engage</c>), also readable in-process by tests.</summary>
public sealed class EngageMetrics : IDisposable
{
    private readonly Meter _meter = new("Conversations.Engage");
    private readonly Counter<long> _unsuccessfulExports;
    private readonly Counter<long> _handoffs;
    private readonly Counter<long> _replies;
    private long _unsuccessfulExportCount;
    private long _handoffCount;
    private long _replyCount;

    public EngageMetrics()
    {
        _unsuccessfulExports = _meter.CreateCounter<long>("conversations.engage.exports_unsuccessful", description: "content.exported events with synchronization_status=unsuccessful");
        _handoffs = _meter.CreateCounter<long>("conversations.engage.handoffs", description: "threads moved from BOT to AGENT");
        _replies = _meter.CreateCounter<long>("conversations.engage.replies", description: "bot replies posted");
    }

    public long UnsuccessfulExports => Interlocked.Read(ref _unsuccessfulExportCount);
    public long Handoffs => Interlocked.Read(ref _handoffCount);
    public long Replies => Interlocked.Read(ref _replyCount);

    public void UnsuccessfulExport(string tenant)
    {
        Interlocked.Increment(ref _unsuccessfulExportCount);
        _unsuccessfulExports.Add(1, new KeyValuePair<string, object?>("tenant", tenant));
    }

    public void Handoff(string tenant)
    {
        Interlocked.Increment(ref _handoffCount);
        _handoffs.Add(1, new KeyValuePair<string, object?>("tenant", tenant));
    }

    public void Reply(string tenant)
    {
        Interlocked.Increment(ref _replyCount);
        _replies.Add(1, new KeyValuePair<string, object?>("tenant", tenant));
    }

    public void Dispose() => _meter.Dispose();
}
