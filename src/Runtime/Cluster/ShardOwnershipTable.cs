using Conversations.Runtime.Store;
using Microsoft.Extensions.Options;

namespace Conversations.Runtime.Cluster;

/// <summary>
/// This silo's view of the shards it leases: the epoch of each owned shard, which ones are leaving
/// (being handed off), and until when the silo lease is trusted. Reads are lock-free over an
/// immutable snapshot; <see cref="FenceFor"/> answers null for everything once the lease is no
/// longer trusted, so turns stop at the local deadline even if the heartbeat loop is stuck.
/// </summary>
public sealed class ShardOwnershipTable : IShardOwnership
{
    private readonly TimeProvider _time;
    private readonly int _shardCount;
    private readonly Lock _lock = new();
    private volatile View _view;

    public ShardOwnershipTable(IOptions<ClusterOptions> options, TimeProvider time)
    {
        _time = time;
        _shardCount = options.Value.ShardCount;
        _view = View.Empty(_shardCount);
    }

    private sealed record View(long Incarnation, long TrustedUntil, IReadOnlyDictionary<int, long> Epochs, IReadOnlySet<int> Leaving, ShardSet Active)
    {
        public static View Empty(int shardCount) => new(0, long.MinValue, new Dictionary<int, long>(), new HashSet<int>(), new ShardSet(shardCount, []));
    }

    public int ShardCount => _shardCount;

    /// <summary>The incarnation the view belongs to (0 when not joined).</summary>
    public long Incarnation => _view.Incarnation;

    /// <summary>True while the silo lease is trusted on the local clock.</summary>
    public bool IsTrusted => _time.GetTimestamp() < _view.TrustedUntil;

    public long TrustedUntil => _view.TrustedUntil;

    public long? FenceFor(ConversationKey key)
    {
        var view = _view;
        if (_time.GetTimestamp() >= view.TrustedUntil) return null;
        var shard = key.Shard(_shardCount);
        return view.Epochs.TryGetValue(shard, out var epoch) && !view.Leaving.Contains(shard) ? epoch : null;
    }

    /// <summary>Owned shards that are not leaving; empty (never null: null means "everything") when none or untrusted.</summary>
    public ShardSet? OwnedShards
    {
        get
        {
            var view = _view;
            return _time.GetTimestamp() < view.TrustedUntil ? view.Active : View.Empty(_shardCount).Active;
        }
    }

    /// <summary>Every shard the database says this silo owns, leaving or not, with its epoch.</summary>
    public IReadOnlyDictionary<int, long> Owned => _view.Epochs;

    public IReadOnlySet<int> Leaving => _view.Leaving;

    public bool Owns(int shard) => _view.Epochs.ContainsKey(shard);

    /// <summary>Installs what a successful renew returned; shards already leaving stay leaving while still owned.</summary>
    internal void Update(long incarnation, long trustedUntil, IReadOnlyDictionary<int, long> epochs)
    {
        lock (_lock)
        {
            var view = _view;
            var leaving = view.Incarnation == incarnation ? view.Leaving.Where(epochs.ContainsKey).ToHashSet() : [];
            _view = new View(incarnation, trustedUntil, epochs, leaving, new ShardSet(_shardCount, epochs.Keys.Where(s => !leaving.Contains(s))));
        }
    }

    /// <summary>A handoff that did not happen (cancelled by the coordinator): the shards run turns again.</summary>
    internal void Unleave(IEnumerable<int> shards)
    {
        lock (_lock)
        {
            var view = _view;
            var leaving = view.Leaving.Except(shards).ToHashSet();
            _view = view with { Leaving = leaving, Active = new ShardSet(_shardCount, view.Epochs.Keys.Where(s => !leaving.Contains(s))) };
        }
    }

    /// <summary>Stops new turns in these shards (handoff or drain) while keeping them owned until released.</summary>
    internal void MarkLeaving(IEnumerable<int> shards)
    {
        lock (_lock)
        {
            var view = _view;
            var leaving = view.Leaving.Concat(shards).Where(view.Epochs.ContainsKey).ToHashSet();
            _view = view with { Leaving = leaving, Active = new ShardSet(_shardCount, view.Epochs.Keys.Where(s => !leaving.Contains(s))) };
        }
    }

    /// <summary>Forgets shards released (or taken away).</summary>
    internal void Remove(IEnumerable<int> shards)
    {
        lock (_lock)
        {
            var view = _view;
            var gone = shards.ToHashSet();
            var epochs = view.Epochs.Where(p => !gone.Contains(p.Key)).ToDictionary();
            var leaving = view.Leaving.Where(s => !gone.Contains(s)).ToHashSet();
            _view = view with { Epochs = epochs, Leaving = leaving, Active = new ShardSet(_shardCount, epochs.Keys.Where(s => !leaving.Contains(s))) };
        }
    }

    /// <summary>Self-fencing: owns nothing and trusts nothing until the next successful join.</summary>
    internal void Clear()
    {
        lock (_lock) _view = View.Empty(_shardCount);
    }
}
