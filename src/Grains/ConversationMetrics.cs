using System.Diagnostics.Metrics;

namespace Conversations.Grains;

/// <summary>The conversation grains' counters (meter <c>Conversations.Grains</c>).</summary>
public sealed class ConversationMetrics
{
    public const string MeterName = "Conversations.Grains";

    public ConversationMetrics(IMeterFactory meters)
    {
        var meter = meters.Create(MeterName);
        Turns = meter.CreateCounter<long>("conversations.turns", description: "Turns committed");
        Events = meter.CreateCounter<long>("conversations.turn_events", description: "Inbox events consumed by committed turns");
        TurnFailures = meter.CreateCounter<long>("conversations.turn_failures", description: "Turns that threw; their events stay unconsumed");
        WriteConflicts = meter.CreateCounter<long>("conversations.write_conflicts", description: "State writes refused by the etag (another activation wrote first)");
        ActionsSent = meter.CreateCounter<long>("conversations.actions_sent", description: "Actions the platform accepted");
        ActionsRetried = meter.CreateCounter<long>("conversations.actions_retried", description: "Action attempts that will be retried");
        ActionsParked = meter.CreateCounter<long>("conversations.actions_parked", description: "Actions given up on and parked");
        Redriven = meter.CreateCounter<long>("conversations.redriven", description: "Conversations woken by the re-drive");
    }

    public Counter<long> Turns { get; }
    public Counter<long> Events { get; }
    public Counter<long> TurnFailures { get; }
    public Counter<long> WriteConflicts { get; }
    public Counter<long> ActionsSent { get; }
    public Counter<long> ActionsRetried { get; }
    public Counter<long> ActionsParked { get; }
    public Counter<long> Redriven { get; }
}
