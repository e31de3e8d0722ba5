using Npgsql;
using NpgsqlTypes;

namespace Conversations.Runtime.Cluster;

/// <summary>Runs <see cref="ClusterSql"/>: membership, shard leases and coordinator writes.</summary>
public sealed class ClusterDatabase(NpgsqlDataSource dataSource)
{
    public NpgsqlDataSource DataSource => dataSource;

    /// <summary>Fixes the shard count on first start and creates the shard rows; throws when the cluster was created with another count.</summary>
    public async Task EnsureShardsAsync(int shardCount, CancellationToken cancellationToken)
    {
        await using (var command = dataSource.CreateCommand(ClusterSql.FixShardCount))
        {
            command.Parameters.Add(Int(shardCount));
            var stored = (int)(await command.ExecuteScalarAsync(cancellationToken))!;
            if (stored != shardCount)
                throw new InvalidOperationException(
                    $"{ClusterOptions.SectionName}:ShardCount is {shardCount} but this database's cluster was created with {stored} shards; the shard count can never change.");
        }
        await using (var command = dataSource.CreateCommand(ClusterSql.CreateShards))
        {
            command.Parameters.Add(Int(shardCount));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    public async Task<long> JoinAsync(string host, TimeSpan ttl, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ClusterSql.Join);
        command.Parameters.Add(Text(host));
        command.Parameters.Add(Interval(ttl));
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <summary>Renews the lease and reads the owned shards; null when the lease could not be renewed (expired or dead).</summary>
    public async Task<IReadOnlyList<OwnedShard>?> HeartbeatAsync(long incarnation, TimeSpan ttl, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ClusterSql.Heartbeat);
        command.Parameters.Add(Long(incarnation));
        command.Parameters.Add(Interval(ttl));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.GetInt32(0) == 0) return null;
        var shards = reader.GetFieldValue<int[]>(1);
        var epochs = reader.GetFieldValue<long[]>(2);
        var handoffs = reader.GetFieldValue<long[]>(3);
        var owned = new OwnedShard[shards.Length];
        for (var i = 0; i < shards.Length; i++) owned[i] = new OwnedShard(shards[i], epochs[i], handoffs[i]);
        return owned;
    }

    public async Task SetDrainingAsync(long incarnation, CancellationToken cancellationToken) =>
        await ExecuteAsync(ClusterSql.SetDraining, cancellationToken, Long(incarnation));

    public async Task LeaveAsync(long incarnation, CancellationToken cancellationToken) =>
        await ExecuteAsync(ClusterSql.Leave, cancellationToken, Long(incarnation));

    public async Task<IReadOnlyDictionary<long, int>> ActiveSilosAsync(long except, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ClusterSql.ActiveSilos);
        command.Parameters.Add(Long(except));
        var silos = new Dictionary<long, int>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) silos[reader.GetInt64(0)] = reader.GetInt32(1);
        return silos;
    }

    /// <summary>Hands shards to their targets; returns the shards that moved with their new epochs.</summary>
    public async Task<IReadOnlyList<int>> ReleaseAsync(long incarnation, IReadOnlyList<ShardMove> moves, bool requireHandoff, CancellationToken cancellationToken)
    {
        if (moves.Count == 0) return [];
        await using var command = dataSource.CreateCommand(ClusterSql.Release);
        command.Parameters.Add(Long(incarnation));
        command.Parameters.Add(IntArray(moves.Select(m => m.Shard)));
        command.Parameters.Add(LongArray(moves.Select(m => m.To)));
        command.Parameters.Add(new NpgsqlParameter { Value = requireHandoff, NpgsqlDbType = NpgsqlDbType.Boolean });
        return await ReadShardIdsAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<int>> AbandonAsync(long incarnation, IEnumerable<int> shards, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ClusterSql.Abandon);
        command.Parameters.Add(Long(incarnation));
        command.Parameters.Add(IntArray(shards));
        return await ReadShardIdsAsync(command, cancellationToken);
    }

    public async Task NotifyAsync(string what, CancellationToken cancellationToken) =>
        await ExecuteAsync(ClusterSql.Notify, cancellationToken, Text(what));

    // ---- coordinator ----

    /// <summary>Elects or re-elects this silo; the term when it holds the coordinator, null otherwise.</summary>
    public async Task<long?> ElectAsync(long incarnation, TimeSpan ttl, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ClusterSql.Elect);
        command.Parameters.Add(Long(incarnation));
        command.Parameters.Add(Interval(ttl));
        return await command.ExecuteScalarAsync(cancellationToken) is long term ? term : null;
    }

    public async Task ResignAsync(long incarnation, long term, CancellationToken cancellationToken) =>
        await ExecuteAsync(ClusterSql.Resign, cancellationToken, Long(incarnation), Long(term));

    public async Task<IReadOnlyList<long>> MarkDeadAsync(long incarnation, long term, TimeSpan grace, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ClusterSql.MarkDead);
        command.Parameters.Add(Long(incarnation));
        command.Parameters.Add(Long(term));
        command.Parameters.Add(Interval(grace));
        var dead = new List<long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) dead.Add(reader.GetInt64(0));
        return dead;
    }

    public async Task DeleteDeadAsync(long incarnation, long term, TimeSpan retention, CancellationToken cancellationToken) =>
        await ExecuteAsync(ClusterSql.DeleteDead, cancellationToken, Long(incarnation), Long(term), Interval(retention));

    public async Task<ClusterView> ReadViewAsync(CancellationToken cancellationToken)
    {
        var silos = new List<SiloRow>();
        await using (var command = dataSource.CreateCommand(ClusterSql.ReadSilos))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken))
                silos.Add(new SiloRow(reader.GetInt64(0), reader.GetInt16(1), TimeSpan.FromSeconds(reader.GetDouble(2)), reader.GetBoolean(3)));
        var shards = new List<ShardRow>();
        await using (var command = dataSource.CreateCommand(ClusterSql.ReadShards))
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
            while (await reader.ReadAsync(cancellationToken))
                shards.Add(new ShardRow(reader.GetInt32(0), reader.GetInt64(1), reader.GetBoolean(2), reader.GetInt64(3), reader.GetBoolean(4)));
        return new ClusterView(silos, shards);
    }

    public async Task<IReadOnlyList<int>> AssignOrphansAsync(long incarnation, long term, IReadOnlyList<ShardMove> moves, CancellationToken cancellationToken)
    {
        if (moves.Count == 0) return [];
        await using var command = dataSource.CreateCommand(ClusterSql.AssignOrphans);
        command.Parameters.Add(Long(incarnation));
        command.Parameters.Add(Long(term));
        command.Parameters.Add(IntArray(moves.Select(m => m.Shard)));
        command.Parameters.Add(LongArray(moves.Select(m => m.To)));
        return await ReadShardIdsAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<int>> RequestHandoffsAsync(long incarnation, long term, IReadOnlyList<ShardMove> moves, TimeSpan deadline, CancellationToken cancellationToken)
    {
        if (moves.Count == 0) return [];
        await using var command = dataSource.CreateCommand(ClusterSql.RequestHandoffs);
        command.Parameters.Add(Long(incarnation));
        command.Parameters.Add(Long(term));
        command.Parameters.Add(IntArray(moves.Select(m => m.Shard)));
        command.Parameters.Add(LongArray(moves.Select(m => m.From)));
        command.Parameters.Add(LongArray(moves.Select(m => m.To)));
        command.Parameters.Add(Interval(deadline));
        return await ReadShardIdsAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<int>> CancelHandoffsAsync(long incarnation, long term, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ClusterSql.CancelHandoffs);
        command.Parameters.Add(Long(incarnation));
        command.Parameters.Add(Long(term));
        return await ReadShardIdsAsync(command, cancellationToken);
    }

    public async Task<IReadOnlyList<int>> ForceHandoffsAsync(long incarnation, long term, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(ClusterSql.ForceHandoffs);
        command.Parameters.Add(Long(incarnation));
        command.Parameters.Add(Long(term));
        return await ReadShardIdsAsync(command, cancellationToken);
    }

    private async Task ExecuteAsync(string sql, CancellationToken cancellationToken, params NpgsqlParameter[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddRange(parameters);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<IReadOnlyList<int>> ReadShardIdsAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var shards = new List<int>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) shards.Add(reader.GetInt32(0));
        return shards;
    }

    private static NpgsqlParameter Text(string value) => new() { Value = value, NpgsqlDbType = NpgsqlDbType.Text };
    private static NpgsqlParameter Int(int value) => new() { Value = value, NpgsqlDbType = NpgsqlDbType.Integer };
    private static NpgsqlParameter Long(long value) => new() { Value = value, NpgsqlDbType = NpgsqlDbType.Bigint };
    private static NpgsqlParameter Interval(TimeSpan value) => new() { Value = value, NpgsqlDbType = NpgsqlDbType.Interval };
    private static NpgsqlParameter IntArray(IEnumerable<int> values) => new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer };
    private static NpgsqlParameter LongArray(IEnumerable<long> values) => new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint };
}

/// <summary>A shard this silo owns: its epoch, and the silo the coordinator asked it to hand over to (0 = none).</summary>
public readonly record struct OwnedShard(int Shard, long Epoch, long HandoffTo);

/// <param name="SinceHeartbeat">Database time since the silo last renewed.</param>
public sealed record SiloRow(long Incarnation, short Status, TimeSpan SinceHeartbeat, bool LeaseValid)
{
    public const short Active = 2, Draining = 3, Dead = 4;
}

public sealed record ShardRow(int Shard, long Owner, bool OwnerDead, long HandoffTo, bool HandoffOverdue);

public sealed record ClusterView(IReadOnlyList<SiloRow> Silos, IReadOnlyList<ShardRow> Shards);

/// <summary>The control plane's pool (see <see cref="Conversations.Runtime.Store.Postgres.PostgresDataSourceFactory.CreateControl"/>), disposed with the container.</summary>
public sealed class ControlDataSource(NpgsqlDataSource dataSource) : IAsyncDisposable
{
    public NpgsqlDataSource DataSource { get; } = dataSource;
    public ValueTask DisposeAsync() => DataSource.DisposeAsync();
}
