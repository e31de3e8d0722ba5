using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;
using Conversations.Gateway.Webhooks;

namespace Conversations.Gateway.Admin.Stats;

/// <summary>
/// Listens to the project's own instruments of this host (the meters <c>Conversations.Gateway</c> and
/// <c>Conversations.Grains</c> made by the host's <see cref="IMeterFactory"/>, so hosts sharing a test
/// process do not mix) and keeps running totals for the console's charts. A measurement costs one
/// interlocked add beside what the exporters already do (a webhook also a look at its outcome tag);
/// nothing is allocated on the webhook or turn path.
/// </summary>
public sealed class ProjectMeterListener(IMeterFactory factory) : IDisposable
{
    // The grains' instrument names (ConversationMetrics): the gateway does not reference the grains.
    public const string GrainsMeter = "Conversations.Grains";
    public const string TurnsInstrument = "conversations.turns";
    public const string AiDurationInstrument = "conversations.ai.duration";
    public const string HandoffsInstrument = "conversations.handoffs";
    public const string WebhooksInstrument = "conversations.gateway.webhooks";

    /// <summary>Handoff reasons are a bounded set; anything past this many distinct values is counted as "other".</summary>
    public const int MaxReasons = 16;
    public const string OtherReason = "other";

    private static readonly string Accepted = WebhookMetrics.OutcomeName(WebhookOutcome.Accepted);
    private static readonly string Answered = WebhookMetrics.OutcomeName(WebhookOutcome.Answered);

    private readonly MeterListener _listener = new();
    private readonly LatencyHistogram _ai = new();
    private readonly ConcurrentDictionary<string, StrongBox<long>> _handoffs = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, byte> _meters = new(StringComparer.Ordinal);
    private long _webhooks;
    private long _failedWebhooks;
    private long _turns;
    private int _started;

    private enum Source { Webhooks, Turns, AiDuration, Handoffs }

    /// <summary>The project meters of this host that have published an instrument so far (a standalone gateway has no grains).</summary>
    public IReadOnlyList<string> Meters => [.. _meters.Keys.Order(StringComparer.Ordinal)];

    /// <summary>Subscribes (once): instruments made before and after are both seen.</summary>
    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) == 1) return;
        _listener.InstrumentPublished = Publish;
        _listener.SetMeasurementEventCallback<long>(OnLong);
        _listener.SetMeasurementEventCallback<double>(OnDouble);
        _listener.Start();
    }

    public MeterTotals Read() => new(
        Interlocked.Read(ref _webhooks),
        Interlocked.Read(ref _failedWebhooks),
        Interlocked.Read(ref _turns),
        _ai.Snapshot(),
        _handoffs.ToDictionary(p => p.Key, p => Interlocked.Read(ref p.Value.Value), StringComparer.Ordinal));

    private void Publish(Instrument instrument, MeterListener listener)
    {
        if (!ReferenceEquals(instrument.Meter.Scope, factory)) return;
        var meter = instrument.Meter.Name;
        if (meter is not (WebhookMetrics.MeterName or GrainsMeter)) return;
        _meters.TryAdd(meter, 0);
        Source? source = (meter, instrument.Name) switch
        {
            (WebhookMetrics.MeterName, WebhooksInstrument) => Source.Webhooks,
            (GrainsMeter, TurnsInstrument) => Source.Turns,
            (GrainsMeter, AiDurationInstrument) => Source.AiDuration,
            (GrainsMeter, HandoffsInstrument) => Source.Handoffs,
            _ => null,
        };
        // The source rides along as the state, so a measurement needs no name comparison.
        if (source is { } s) listener.EnableMeasurementEvents(instrument, s);
    }

    private void OnLong(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        switch (state)
        {
            case Source.Webhooks:
                Interlocked.Add(ref _webhooks, value);
                if (!Succeeded(tags)) Interlocked.Add(ref _failedWebhooks, value);
                break;
            case Source.Turns:
                Interlocked.Add(ref _turns, value);
                break;
            case Source.Handoffs:
                Interlocked.Add(ref ReasonCounter(tags).Value, value);
                break;
        }
    }

    private void OnDouble(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags, object? state)
    {
        if (state is Source.AiDuration) _ai.Record(value);
    }

    private static bool Succeeded(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        foreach (var tag in tags)
            if (tag.Key == "outcome") return tag.Value is string outcome && (outcome == Accepted || outcome == Answered);
        return true;
    }

    private StrongBox<long> ReasonCounter(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var reason = OtherReason;
        foreach (var tag in tags)
            if (tag.Key == "reason" && tag.Value is string { Length: > 0 } value) { reason = value; break; }
        if (_handoffs.TryGetValue(reason, out var counter)) return counter;
        if (_handoffs.Count >= MaxReasons) reason = OtherReason;
        return _handoffs.GetOrAdd(reason, static _ => new StrongBox<long>());
    }

    public void Dispose() => _listener.Dispose();
}
