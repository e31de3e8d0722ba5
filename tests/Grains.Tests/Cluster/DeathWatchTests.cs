using System.Collections.Immutable;
using System.Net;
using Conversations.Grains.Hosting;
using Orleans.Runtime;

namespace Conversations.Grains.Tests.Cluster;

public sealed class DeathWatchTests
{
    private static readonly SiloAddress A = SiloAddress.New(IPAddress.Loopback, 11111, 1);
    private static readonly SiloAddress B = SiloAddress.New(IPAddress.Loopback, 11112, 1);
    private static readonly SiloAddress Old = SiloAddress.New(IPAddress.Loopback, 11111, 0);

    private static ClusterMembershipSnapshot Snapshot(long version, params (SiloAddress Silo, SiloStatus Status)[] members) =>
        new(members.ToImmutableDictionary(m => m.Silo, m => new ClusterMember(m.Silo, m.Status, m.Silo.ToString())), new MembershipVersion(version));

    [Fact]
    public void Silos_already_dead_when_watching_starts_are_history_not_a_death_now()
    {
        var watch = new DeathWatch();

        Assert.False(watch.AnyNewlyDead(Snapshot(1, (Old, SiloStatus.Dead), (A, SiloStatus.Active))));
        Assert.False(watch.AnyNewlyDead(Snapshot(2, (Old, SiloStatus.Dead), (A, SiloStatus.Active), (B, SiloStatus.Joining))));
    }

    [Fact]
    public void A_silo_declared_dead_later_is_seen_once()
    {
        var watch = new DeathWatch();
        watch.AnyNewlyDead(Snapshot(1, (A, SiloStatus.Active), (B, SiloStatus.Active)));

        Assert.True(watch.AnyNewlyDead(Snapshot(2, (A, SiloStatus.Active), (B, SiloStatus.Dead))));
        Assert.False(watch.AnyNewlyDead(Snapshot(3, (A, SiloStatus.Active), (B, SiloStatus.Dead))));
    }
}
