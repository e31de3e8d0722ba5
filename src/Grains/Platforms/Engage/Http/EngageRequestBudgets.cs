using System.Collections.Concurrent;

namespace Conversations.Grains.Platforms.Engage.Http;

/// <summary>
/// One <see cref="EngageRequestBudget"/> per tenant, shared by every Engage call of this process and
/// scaled by the process's share of the cluster (the whole budget when there is no cluster).
/// </summary>
public sealed class EngageRequestBudgets(TimeProvider time, IClusterShare? share = null)
{
    private readonly ConcurrentDictionary<string, EngageRequestBudget> _byTenant = new(StringComparer.Ordinal);

    public EngageRequestBudget For(string tenant, int requestsPerMinute) =>
        _byTenant.GetOrAdd(tenant, static (_, arg) => new EngageRequestBudget(arg.requestsPerMinute, arg.time, arg.share), (requestsPerMinute, time, share));
}
