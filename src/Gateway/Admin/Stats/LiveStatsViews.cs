namespace Conversations.Gateway.Admin.Stats;

/// <summary>
/// One interval of this process: webhooks per second (and those not accepted), committed turns per
/// second, AI calls finished and their p50/p99 in ms (null without calls), handoffs by reason, and
/// the cluster's inbox lag in seconds as the store reported it (null when it could not be read).
/// Totals only: no tenant, no text, no secret.
/// </summary>
public sealed record LiveStatsSample(
    DateTimeOffset At,
    double WebhooksPerSecond,
    double FailedWebhooksPerSecond,
    double TurnsPerSecond,
    long AiCalls,
    double? AiP50Ms,
    double? AiP99Ms,
    IReadOnlyDictionary<string, long> Handoffs,
    double? InboxLagSeconds);

/// <summary>
/// <c>GET /admin/stats</c>: the samples of the window, oldest first, with the server's time, the host
/// that sampled them and which project meters it has (a standalone gateway runs no grains).
/// </summary>
public sealed record LiveStatsView(
    DateTimeOffset Now,
    string Host,
    double IntervalSeconds,
    double WindowSeconds,
    IReadOnlyList<string> Meters,
    IReadOnlyList<LiveStatsSample> Samples);
