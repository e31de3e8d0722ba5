using System.Diagnostics.Metrics;
using Conversations.Grains.Ai;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Grains.Tests.Conversation;

/// <summary>The handoff meter counts by tenant and a bounded reason, never the free-text one.</summary>
public sealed class HandoffMetricsTests
{
    [Theory]
    [InlineData("customer_asked")]
    [InlineData("ai_failure")]
    [InlineData("ai_signal")]
    [InlineData("max_bot_turns")]
    public async Task Each_handoff_is_counted_by_tenant_and_reason(string reason)
    {
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var factory = services.GetRequiredService<IMeterFactory>();
        var metrics = new ConversationMetrics(factory);
        var counted = new List<(long Value, string? Tenant, string? Reason)>();
        using var listener = new MeterListener
        {
            // Only this test's meter: other tests' grains count handoffs for tenant "acme" in the same process.
            InstrumentPublished = (instrument, l) => { if (instrument.Name == "conversations.handoffs" && ReferenceEquals(instrument.Meter.Scope, factory)) l.EnableMeasurementEvents(instrument); },
        };
        var freeText = false;
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            string? tenant = null, why = null;
            foreach (var tag in tags)
            {
                if (tag.Key == "tenant") tenant = tag.Value as string;
                if (tag.Key == "reason") why = tag.Value as string;
                if (tag.Value is string text && text.Contains("refund", StringComparison.Ordinal)) freeText = true;
            }
            lock (counted) counted.Add((value, tenant, why));
        });
        listener.Start();
        var harness = new GrainHarness(t => t.Handoff.MaxBotTurns = reason == "max_bot_turns" ? 1 : 0, metrics);
        harness.Ai.Answer = reason switch
        {
            "ai_failure" => _ => throw new AiUnavailableException("timed out after 2 s"),
            "ai_signal" => _ => AiReply.Text("let me get someone") with { Handoff = true, HandoffReason = "refund over 500" },
            _ => harness.Ai.Answer,
        };

        if (reason == "max_bot_turns") await harness.TurnAsync(harness.Customer("first question"));
        await harness.TurnAsync(harness.Customer(reason == "customer_asked" ? "I want a human please" : "where is my parcel"));

        var handoff = Assert.Single(counted);
        Assert.Equal((1L, "acme", reason), handoff);
        Assert.False(freeText, "the AI's free-text reason must not be a tag");
    }
}
