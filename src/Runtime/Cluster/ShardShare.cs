namespace Conversations.Runtime.Cluster;

/// <summary>
/// This silo's share of the cluster: the shards it owns over the shard count. Conversations hash
/// evenly over shards, so a tenant's traffic reaches each silo in about that proportion. Never below
/// one shard's worth, so a silo that is just joining or leaving still gets a trickle of budget.
/// </summary>
public sealed class ShardShare(IShardOwnership ownership) : IClusterShare
{
    public double Fraction
    {
        get
        {
            var owned = ownership.OwnedShards;
            if (owned is null) return 1;
            return Math.Max(1, owned.Shards.Count) / (double)owned.ShardCount;
        }
    }
}
