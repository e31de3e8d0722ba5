namespace Conversations.Runtime.Cluster;

/// <summary>A planned ownership move: <paramref name="Shard"/> from <paramref name="From"/> (0 = nobody) to <paramref name="To"/>.</summary>
public readonly record struct ShardMove(int Shard, long From, long To);

/// <summary>
/// Pure planning of shard placement: orphans go to the least-loaded silos; a rebalance moves shards
/// from the fullest to the emptiest silo, a bounded number per round, until no two silos differ by
/// more than one (so every silo ends within ⌈N/active⌉).
/// </summary>
public static class ShardPlanner
{
    /// <param name="silos">Silos that may receive shards (active, lease valid).</param>
    /// <param name="owned">Current owner of every shard owned by one of <paramref name="silos"/>.</param>
    /// <param name="orphans">Shards with no live owner.</param>
    public static IReadOnlyList<ShardMove> AssignOrphans(IReadOnlyCollection<long> silos, IReadOnlyDictionary<int, long> owned, IEnumerable<int> orphans)
    {
        if (silos.Count == 0) return [];
        return Spread(Loads(silos, owned), orphans, 0);
    }

    /// <summary>Places <paramref name="shards"/> on the least-loaded of the given silos (drain: <paramref name="loads"/> = shards each owns now).</summary>
    public static IReadOnlyList<ShardMove> Spread(IReadOnlyDictionary<long, int> loads, IEnumerable<int> shards, long from)
    {
        if (loads.Count == 0) return [];
        var load = loads.ToDictionary();
        var moves = new List<ShardMove>();
        foreach (var shard in shards.Order())
        {
            var target = Lightest(load);
            load[target]++;
            moves.Add(new ShardMove(shard, from, target));
        }
        return moves;
    }

    public static IReadOnlyList<ShardMove> Rebalance(IReadOnlyCollection<long> silos, IReadOnlyDictionary<int, long> owned, int maxMoves)
    {
        if (silos.Count < 2 || maxMoves < 1) return [];
        var load = Loads(silos, owned);
        var shardsOf = silos.ToDictionary(s => s, _ => new Stack<int>());
        foreach (var (shard, owner) in owned.OrderBy(p => p.Key))
            if (shardsOf.TryGetValue(owner, out var stack)) stack.Push(shard);
        var moves = new List<ShardMove>();
        while (moves.Count < maxMoves)
        {
            var fullest = Heaviest(load);
            var emptiest = Lightest(load);
            if (load[fullest] - load[emptiest] <= 1) break;
            var shard = shardsOf[fullest].Pop();
            load[fullest]--;
            load[emptiest]++;
            moves.Add(new ShardMove(shard, fullest, emptiest));
        }
        return moves;
    }

    private static Dictionary<long, int> Loads(IReadOnlyCollection<long> silos, IReadOnlyDictionary<int, long> owned)
    {
        var load = silos.ToDictionary(s => s, _ => 0);
        foreach (var owner in owned.Values)
            if (load.ContainsKey(owner)) load[owner]++;
        return load;
    }

    // Ties go to the lower incarnation (older silo) for the lightest and the higher one for the heaviest: deterministic plans.
    private static long Lightest(Dictionary<long, int> load) => load.OrderBy(p => p.Value).ThenBy(p => p.Key).First().Key;
    private static long Heaviest(Dictionary<long, int> load) => load.OrderByDescending(p => p.Value).ThenByDescending(p => p.Key).First().Key;
}
