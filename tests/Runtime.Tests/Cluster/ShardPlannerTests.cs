using Conversations.Runtime.Cluster;

namespace Conversations.Runtime.Tests.Cluster;

public sealed class ShardPlannerTests
{
    private static Dictionary<int, long> Owned(params (long Silo, int Count)[] silos)
    {
        var owned = new Dictionary<int, long>();
        var shard = 0;
        foreach (var (silo, count) in silos)
            for (var i = 0; i < count; i++) owned[shard++] = silo;
        return owned;
    }

    [Fact]
    public void Orphans_go_to_the_least_loaded_silos()
    {
        var owned = Owned((1, 10), (2, 4));
        var moves = ShardPlanner.AssignOrphans([1, 2], owned, [100, 101, 102, 103, 104, 105, 106, 107]);
        Assert.Equal(8, moves.Count);
        Assert.Equal(7, moves.Count(m => m.To == 2));
        Assert.Equal(1, moves.Count(m => m.To == 1));
        Assert.All(moves, m => Assert.Equal(0, m.From));
    }

    [Fact]
    public void Orphans_wait_when_no_silo_is_live()
    {
        Assert.Empty(ShardPlanner.AssignOrphans([], new Dictionary<int, long>(), [1, 2, 3]));
    }

    [Fact]
    public void Scale_up_moves_at_most_the_round_limit_from_fullest_to_emptiest()
    {
        var owned = Owned((1, 512), (2, 512));
        var moves = ShardPlanner.Rebalance([1, 2, 3], owned, maxMoves: 102);
        Assert.Equal(102, moves.Count);
        Assert.All(moves, m => Assert.Equal(3, m.To));
        Assert.Equal(51, moves.Count(m => m.From == 1));
        Assert.Equal(51, moves.Count(m => m.From == 2));
        Assert.Equal(moves.Count, moves.Select(m => m.Shard).Distinct().Count());
        Assert.All(moves, m => Assert.Equal(m.From, owned[m.Shard]));
    }

    [Fact]
    public void Repeated_rounds_converge_to_within_one_of_the_ceiling()
    {
        var owned = Owned((1, 1024));
        var silos = new long[] { 1, 2, 3 };
        var rounds = 0;
        while (true)
        {
            var moves = ShardPlanner.Rebalance(silos, owned, maxMoves: 102);
            if (moves.Count == 0) break;
            foreach (var move in moves) owned[move.Shard] = move.To;
            Assert.True(++rounds < 20);
        }
        var loads = silos.Select(s => owned.Values.Count(o => o == s)).ToList();
        Assert.All(loads, l => Assert.InRange(l, 341, 342));
        Assert.Equal(7, rounds);
    }

    [Fact]
    public void Balanced_cluster_plans_no_moves()
    {
        Assert.Empty(ShardPlanner.Rebalance([1, 2, 3], Owned((1, 342), (2, 341), (3, 341)), 100));
        Assert.Empty(ShardPlanner.Rebalance([1], Owned((1, 1024)), 100));
    }

    [Fact]
    public void Drain_spreads_shards_over_the_remaining_silos_by_load()
    {
        var moves = ShardPlanner.Spread(new Dictionary<long, int> { [2] = 300, [3] = 100 }, Enumerable.Range(0, 400), from: 1);
        Assert.Equal(400, moves.Count);
        Assert.Equal(300, moves.Count(m => m.To == 3));
        Assert.Equal(100, moves.Count(m => m.To == 2));
        Assert.All(moves, m => Assert.Equal(1, m.From));
    }
}
