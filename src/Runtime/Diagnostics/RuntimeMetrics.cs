using System.Diagnostics.Metrics;

namespace Conversations.Runtime.Diagnostics;

/// <summary>Counters of the runtime (Meter "Conversations.Runtime").</summary>
public sealed class RuntimeMetrics : IDisposable
{
    private readonly Meter _meter = new("Conversations.Runtime");

    public RuntimeMetrics()
    {
        Turns = _meter.CreateCounter<long>("conversations.turns");
        Events = _meter.CreateCounter<long>("conversations.events");
        TurnFailures = _meter.CreateCounter<long>("conversations.turn_failures");
        CommitConflicts = _meter.CreateCounter<long>("conversations.commit_conflicts");
        Activations = _meter.CreateCounter<long>("conversations.activations");
        Deactivations = _meter.CreateCounter<long>("conversations.deactivations");
        ActionsSent = _meter.CreateCounter<long>("conversations.outbox.sent");
        ActionsRetried = _meter.CreateCounter<long>("conversations.outbox.retried");
        ActionsParked = _meter.CreateCounter<long>("conversations.outbox.parked");
    }

    public Counter<long> Turns { get; }
    public Counter<long> Events { get; }
    public Counter<long> TurnFailures { get; }
    public Counter<long> CommitConflicts { get; }
    public Counter<long> Activations { get; }
    public Counter<long> Deactivations { get; }
    public Counter<long> ActionsSent { get; }
    public Counter<long> ActionsRetried { get; }
    public Counter<long> ActionsParked { get; }

    public void Dispose() => _meter.Dispose();
}
