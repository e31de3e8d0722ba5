using System.Diagnostics.Metrics;
using Conversations.Gateway.Admin.Stats;
using Conversations.Gateway.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Gateway.Tests.Admin.Stats;

/// <summary>The listener counts this host's project instruments by the names the meters publish.</summary>
public sealed class ProjectMeterListenerTests : IDisposable
{
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ServiceProvider _otherHost = new ServiceCollection().AddMetrics().BuildServiceProvider();

    private IMeterFactory Factory => _services.GetRequiredService<IMeterFactory>();

    public void Dispose()
    {
        _services.Dispose();
        _otherHost.Dispose();
    }

    private static KeyValuePair<string, object?> Tag(string key, string value) => new(key, value);

    [Fact]
    public void Webhooks_are_counted_and_those_not_accepted_counted_again_as_failed()
    {
        var webhooks = new WebhookMetrics(Factory);
        using var listener = new ProjectMeterListener(Factory);
        listener.Start();

        webhooks.Record("chatwoot", "acme", WebhookOutcome.Accepted, TimeSpan.FromMilliseconds(3));
        webhooks.Record("engage", "globex", WebhookOutcome.Answered, TimeSpan.FromMilliseconds(1));
        webhooks.Record("chatwoot", "acme", WebhookOutcome.Rejected, TimeSpan.FromMilliseconds(1));
        webhooks.Record("chatwoot", "acme", WebhookOutcome.StoreFailed, TimeSpan.FromMilliseconds(9));

        var totals = listener.Read();
        Assert.Equal(4, totals.Webhooks);
        Assert.Equal(2, totals.FailedWebhooks);
        Assert.Equal([WebhookMetrics.MeterName], listener.Meters);
    }

    [Fact]
    public void Turns_ai_durations_and_handoffs_by_reason_come_from_the_grains_meter()
    {
        using var listener = new ProjectMeterListener(Factory);
        listener.Start();
        // Made after the start, as a silo makes the grains' metrics on first use.
        var meter = Factory.Create(ProjectMeterListener.GrainsMeter);
        var turns = meter.CreateCounter<long>(ProjectMeterListener.TurnsInstrument);
        var ai = meter.CreateHistogram<double>(ProjectMeterListener.AiDurationInstrument, "ms");
        var handoffs = meter.CreateCounter<long>(ProjectMeterListener.HandoffsInstrument);
        var other = meter.CreateCounter<long>("conversations.actions_sent");

        turns.Add(1);
        turns.Add(2);
        ai.Record(120, Tag("engine", "rules"), Tag("outcome", "answered"));
        ai.Record(130);
        handoffs.Add(1, Tag("tenant", "acme"), Tag("reason", "customer_asked"));
        handoffs.Add(1, Tag("tenant", "acme"), Tag("reason", "customer_asked"));
        handoffs.Add(1, Tag("tenant", "globex"), Tag("reason", "ai_failure"));
        other.Add(50);

        var totals = listener.Read();
        Assert.Equal(3, totals.Turns);
        Assert.Equal(2, totals.AiLatencyBuckets.Sum());
        Assert.InRange(LatencyHistogram.Quantile(totals.AiLatencyBuckets, 0.5)!.Value, 110, 140);
        Assert.Equal(new Dictionary<string, long> { ["customer_asked"] = 2, ["ai_failure"] = 1 }, totals.Handoffs);
        Assert.Equal(0, totals.Webhooks);
        Assert.Equal([ProjectMeterListener.GrainsMeter], listener.Meters);
    }

    [Fact]
    public void Instruments_of_another_host_in_the_same_process_are_not_counted()
    {
        using var listener = new ProjectMeterListener(Factory);
        listener.Start();
        var elsewhere = new WebhookMetrics(_otherHost.GetRequiredService<IMeterFactory>());
        using var unscoped = new Meter(WebhookMetrics.MeterName);
        var unscopedWebhooks = unscoped.CreateCounter<long>(ProjectMeterListener.WebhooksInstrument);

        elsewhere.Record("chatwoot", "acme", WebhookOutcome.Accepted, TimeSpan.Zero);
        unscopedWebhooks.Add(1);

        Assert.Equal(0, listener.Read().Webhooks);
        Assert.Empty(listener.Meters);
    }

    [Fact]
    public void Handoff_reasons_are_bounded_and_the_rest_counted_as_other()
    {
        using var listener = new ProjectMeterListener(Factory);
        listener.Start();
        var handoffs = Factory.Create(ProjectMeterListener.GrainsMeter).CreateCounter<long>(ProjectMeterListener.HandoffsInstrument);

        for (var i = 0; i < ProjectMeterListener.MaxReasons + 5; i++) handoffs.Add(1, Tag("reason", "reason-" + i));
        handoffs.Add(1, Tag("tenant", "acme"));

        var totals = listener.Read();
        Assert.Equal(ProjectMeterListener.MaxReasons + 1, totals.Handoffs.Count);
        Assert.Equal(ProjectMeterListener.MaxReasons + 6, totals.Handoffs.Values.Sum());
        Assert.Equal(6, totals.Handoffs[ProjectMeterListener.OtherReason]);
    }

    [Fact]
    public void Before_its_start_nothing_is_listened_to()
    {
        var webhooks = new WebhookMetrics(Factory);
        using var listener = new ProjectMeterListener(Factory);

        webhooks.Record("chatwoot", "acme", WebhookOutcome.Accepted, TimeSpan.Zero);

        Assert.Equal(0, listener.Read().Webhooks);
        Assert.Empty(listener.Meters);
    }
}
