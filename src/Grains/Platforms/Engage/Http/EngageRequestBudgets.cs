using System.Collections.Concurrent;

namespace Conversations.Grains.Platforms.Engage.Http;

/// <summary>One <see cref="EngageRequestBudget"/> per tenant, shared by every Engage call of this process.</summary>
public sealed class EngageRequestBudgets(TimeProvider time)
{
    private readonly ConcurrentDictionary<string, EngageRequestBudget> _byTenant = new(StringComparer.Ordinal);

    public EngageRequestBudget For(string tenant, int requestsPerMinute) =>
        _byTenant.GetOrAdd(tenant, static (_, arg) => new EngageRequestBudget(arg.requestsPerMinute, arg.time), (requestsPerMinute, time));
}
