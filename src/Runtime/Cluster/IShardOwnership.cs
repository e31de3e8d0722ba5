using Conversations.Runtime.Store;

namespace Conversations.Runtime.Cluster;

/// <summary>
/// Which conversations this silo may run, and with which fence. The Memory store's single node owns
/// everything with one fence; the Postgres cluster owns leased shards, each with its epoch.
/// </summary>
public interface IShardOwnership
{
    /// <summary>The epoch to fence writes for this conversation with, or null when this silo does not own its shard now.</summary>
    long? FenceFor(ConversationKey key);

    /// <summary>The shards owned now (null = every conversation), for pumps and outbox sweeps.</summary>
    ShardSet? OwnedShards { get; }
}

/// <summary>The one-process owner of every conversation (Memory store, embedded single node).</summary>
public sealed class SingleNodeOwnership : IShardOwnership
{
    public const long Fence = 1;
    public long? FenceFor(ConversationKey key) => Fence;
    public ShardSet? OwnedShards => null;
}
