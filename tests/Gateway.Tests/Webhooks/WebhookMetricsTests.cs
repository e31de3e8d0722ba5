using System.Diagnostics.Metrics;
using Conversations.Gateway.Tests.Support;
using Conversations.Gateway.Webhooks;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Gateway.Tests.Webhooks;

public sealed class WebhookMetricsTests
{
    [Fact]
    public async Task Webhooks_are_counted_by_platform_tenant_and_outcome()
    {
        await using var harness = await Harness.StartAsync();
        var seen = new List<(string Platform, string Tenant, string Outcome)>();
        // The host's factory hands back its own meter instance: other tests' gateways run in parallel.
        var meter = harness.Host.App.Services.GetRequiredService<IMeterFactory>().Create(WebhookMetrics.MeterName);
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter, meter) && instrument.Name == "conversations.gateway.webhooks")
                l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            var all = tags.ToArray();
            string Tag(string name) => all.Single(t => t.Key == name).Value?.ToString() ?? "";
            lock (seen) seen.Add((Tag("platform"), Tag("tenant"), Tag("outcome")));
        });
        listener.Start();

        using (await harness.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("1:2", "metric-m1", "hi")))) { }
        using (await harness.Http.PostAsync("/webhooks/chatwoot/metrics-nobody", Harness.Events(("1:2", "m1", "hi")))) { }

        lock (seen)
        {
            Assert.Contains(("chatwoot", "acme", "accepted"), seen);
            Assert.Contains(("chatwoot", "(unknown)", "not_found"), seen);
        }
    }
}
