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
        Handoffs = meter.CreateCounter<long>("conversations.handoffs", description: "Conversations the bot handed to humans, by tenant and reason");
        InactivitySteps = meter.CreateCounter<long>("conversations.inactivity", description: "Inactivity follow-ups and resolves the bot decided, by tenant and step (follow_up, resolve)");
        Redriven = meter.CreateCounter<long>("conversations.redriven", description: "Conversations woken by the re-drive");
        AiDuration = meter.CreateHistogram<double>("conversations.ai.duration", "ms", "AI answers, retries included, by tenant, engine and outcome (answered, failed)");
        AiFailures = meter.CreateCounter<long>("conversations.ai.failures", description: "AI calls that failed after their retries (the conversation is handed off), by tenant and engine");
        meter.CreateObservableGauge("conversations.inbox.lag", () => InboxLagSeconds, "s", "Age of the oldest inbox event not yet consumed (0 when none), as of the last re-drive sweep");
    }

    /// <summary>Set by the re-drive after each sweep; read by the inbox lag gauge.</summary>
    public double InboxLagSeconds { get; set; }

    public Counter<long> Turns { get; }
    public Counter<long> Events { get; }
    public Counter<long> TurnFailures { get; }
    public Counter<long> WriteConflicts { get; }
    public Counter<long> ActionsSent { get; }
    public Counter<long> ActionsRetried { get; }
    public Counter<long> ActionsParked { get; }
    public Counter<long> Redriven { get; }
    public Counter<long> Handoffs { get; }
    public Counter<long> InactivitySteps { get; }
    public Histogram<double> AiDuration { get; }
    public Counter<long> AiFailures { get; }
}
