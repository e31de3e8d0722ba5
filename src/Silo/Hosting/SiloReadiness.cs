using Conversations.Gateway.Health;
using Orleans.Runtime;

namespace Conversations.Silo.Hosting;

/// <summary>The silo is ready once Orleans' membership lists it as active (joined, serving grains).</summary>
public sealed class SiloReadiness(IClusterMembershipService membership, ILocalSiloDetails local) : IReadinessContributor
{
    public string? Problem =>
        membership.CurrentSnapshot.GetSiloStatus(local.SiloAddress) == SiloStatus.Active ? null : "silo not active in the cluster";
}
