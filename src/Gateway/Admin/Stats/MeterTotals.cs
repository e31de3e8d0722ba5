namespace Conversations.Gateway.Admin.Stats;

/// <summary>
/// Running totals of the project's instruments since the listener started: webhooks (and those not
/// accepted), committed turns, AI call durations in <see cref="LatencyHistogram"/> buckets, handoffs by reason.
/// </summary>
public sealed record MeterTotals(long Webhooks, long FailedWebhooks, long Turns, long[] AiLatencyBuckets, IReadOnlyDictionary<string, long> Handoffs);
