using Orleans.Runtime;

namespace Conversations.Grains.Hosting;

/// <summary>
/// This silo's share of the deployment: one over the silos Orleans' membership sees active (placement
/// spreads new activations over them). Read at every use, so a joining or dead silo changes it at once.
/// </summary>
public sealed class MembershipClusterShare(IClusterMembershipService membership) : IClusterShare
{
    public double Fraction
    {
        get
        {
            var active = 0;
            foreach (var member in membership.CurrentSnapshot.Members.Values)
                if (member.Status == SiloStatus.Active) active++;
            return 1.0 / Math.Max(1, active);
        }
    }
}
