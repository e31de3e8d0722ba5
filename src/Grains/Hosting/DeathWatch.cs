using Orleans.Runtime;

namespace Conversations.Grains.Hosting;

/// <summary>
/// Tells when membership declares a silo dead that was not dead before. Silos already dead in the
/// first snapshot are history (Orleans keeps their rows for days): a silo that is starting must not
/// take each restart of the past for a death now, and re-drive everything before it is even active.
/// </summary>
public sealed class DeathWatch
{
    private readonly HashSet<SiloAddress> _dead = [];
    private bool _seeded;

    public bool AnyNewlyDead(ClusterMembershipSnapshot snapshot)
    {
        var newlyDead = false;
        foreach (var member in snapshot.Members.Values)
            if (member.Status == SiloStatus.Dead && _dead.Add(member.SiloAddress)) newlyDead = true;
        if (_seeded) return newlyDead;
        _seeded = true;
        return false;
    }
}
