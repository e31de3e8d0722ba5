namespace Conversations.Runtime.Cluster;

/// <summary>
/// This silo's share of the cluster: the shards it owns over the shard count. Conversations hash
/// evenly over shards, so a tenant's traffic reaches each silo in about that proportion. When the
/// silo owns nothing for a moment (lease not trusted during a database hiccup, every shard leaving
/// in a drain) its last share stands, so calls of turns still finishing are not starved; before it
/// has owned anything it gets one shard's worth.
/// </summary>
public sealed class ShardShare(IShardOwnership ownership) : IClusterShare
{
    private double _last;

    public double Fraction
    {
        get
        {
            var owned = ownership.OwnedShards;
            if (owned is null) return 1;
            if (owned.Shards.Count > 0)
            {
                var fraction = owned.Shards.Count / (double)owned.ShardCount;
                Volatile.Write(ref _last, fraction);
                return fraction;
            }
            var last = Volatile.Read(ref _last);
            return last > 0 ? last : 1.0 / owned.ShardCount;
        }
    }
}
