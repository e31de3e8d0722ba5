using Npgsql;
using NpgsqlTypes;

namespace Conversations.Runtime.Store.Postgres;

/// <summary>
/// The durable, clustered store: plain SQL over Npgsql, one round trip per operation. Turn commits
/// are fenced twice (I3): by the conversation's fence and by its shard's current epoch, so a silo
/// that lost a shard cannot commit even before the new owner has activated the conversation.
/// </summary>
public sealed class PostgresConversationStore(NpgsqlDataSource dataSource, int shardCount) : IConversationStore
{
    /// <summary>How many recently sent actions <see cref="ReadAsync"/> shows.</summary>
    public const int RecentSentShown = 20;

    public int ShardCount { get; } = shardCount > 0 ? shardCount : throw new ArgumentOutOfRangeException(nameof(shardCount));

    public NpgsqlDataSource DataSource => dataSource;

    public ValueTask<AppendResult> AppendAsync(ConversationKey key, IReadOnlyList<NewInboxMessage> messages, CancellationToken cancellationToken) =>
        AppendAsync(key, messages, notify: false, cancellationToken);

    /// <summary>Appends and, when anything was new, wakes the owner with a NOTIFY committed with the rows.</summary>
    public async ValueTask<AppendResult> AppendAsync(ConversationKey key, IReadOnlyList<NewInboxMessage> messages, bool notify, CancellationToken cancellationToken)
    {
        if (messages.Count == 0) return new AppendResult(0, 0);
        // A key repeated within one call is a duplicate too; drop it here so the insert sees distinct keys.
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var keys = new List<string>(messages.Count);
        var types = new List<string>(messages.Count);
        var bodies = new List<byte[]>(messages.Count);
        foreach (var message in messages)
        {
            if (!seen.Add(message.DedupeKey)) continue;
            keys.Add(message.DedupeKey);
            types.Add(message.Type);
            bodies.Add(message.Body.ToArray());
        }
        var shard = key.Shard(ShardCount);
        await using var command = dataSource.CreateCommand(StoreSql.Append);
        command.Parameters.Add(Text(key.Tenant));
        command.Parameters.Add(Text(key.ConversationId));
        command.Parameters.Add(Int(shard));
        command.Parameters.Add(new NpgsqlParameter { Value = keys.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = types.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = bodies.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        command.Parameters.Add(new NpgsqlParameter { Value = notify ? WakePayload.Format(shard, key) : DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var appended = reader.GetInt32(0);
        return new AppendResult(appended, messages.Count - appended);
    }

    public async ValueTask<ConversationSnapshot?> ActivateAsync(ConversationKey key, long fence, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StoreSql.Activate);
        command.Parameters.Add(Text(key.Tenant));
        command.Parameters.Add(Text(key.ConversationId));
        command.Parameters.Add(Int(key.Shard(ShardCount)));
        command.Parameters.Add(Long(fence));
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        return new ConversationSnapshot(reader.GetInt64(0), reader.GetFieldValue<byte[]>(1));
    }

    public async ValueTask<IReadOnlyList<InboxMessage>> ReadPendingAsync(ConversationKey key, int max, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StoreSql.ReadPending);
        command.Parameters.Add(Text(key.Tenant));
        command.Parameters.Add(Text(key.ConversationId));
        command.Parameters.Add(Int(max));
        var messages = new List<InboxMessage>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            messages.Add(new InboxMessage(reader.GetInt64(0), reader.GetString(1), reader.GetString(2),
                reader.GetFieldValue<byte[]>(3), reader.GetFieldValue<DateTimeOffset>(4)));
        return messages;
    }

    public async ValueTask<CommitOutcome> CommitTurnAsync(TurnCommit commit, CancellationToken cancellationToken)
    {
        var key = commit.Key;
        await using var command = dataSource.CreateCommand(StoreSql.CommitTurn);
        command.Parameters.Add(Text(key.Tenant));
        command.Parameters.Add(Text(key.ConversationId));
        command.Parameters.Add(Long(commit.Fence));
        command.Parameters.Add(Long(commit.ExpectedVersion));
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = commit.NewState is { } state ? state.ToArray() : DBNull.Value,
            NpgsqlDbType = NpgsqlDbType.Bytea,
        });
        command.Parameters.Add(Int(key.Shard(ShardCount)));
        command.Parameters.Add(new NpgsqlParameter { Value = commit.Consumed.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bigint });
        command.Parameters.Add(new NpgsqlParameter { Value = commit.Actions.Select(a => a.Kind).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = commit.Actions.Select(a => a.Payload.ToArray()).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        if (!reader.IsDBNull(0)) return new CommitOutcome(CommitStatus.Committed, reader.GetInt64(0), reader.GetFieldValue<long[]>(1));
        var storedFence = reader.IsDBNull(2) ? (long?)null : reader.GetInt64(2);
        var shardEpoch = reader.IsDBNull(3) ? 0 : reader.GetInt64(3);
        // A newer fence on the conversation or its shard means another owner; otherwise the version moved.
        return storedFence is null || storedFence != commit.Fence || shardEpoch > commit.Fence
            ? CommitOutcome.FencedOut
            : CommitOutcome.Conflict;
    }

    public async ValueTask<IReadOnlyList<OutboxMessage>> ReadOutboxAsync(ConversationKey key, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StoreSql.ReadOutbox);
        command.Parameters.Add(Text(key.Tenant));
        command.Parameters.Add(Text(key.ConversationId));
        var messages = new List<OutboxMessage>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) messages.Add(ReadOutboxMessage(reader, 0));
        return messages;
    }

    public async ValueTask MarkOutboxAsync(ConversationKey key, long outboxId, OutboxMark mark, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StoreSql.MarkOutbox);
        command.Parameters.Add(Text(key.Tenant));
        command.Parameters.Add(Text(key.ConversationId));
        command.Parameters.Add(Long(outboxId));
        command.Parameters.Add(new NpgsqlParameter { Value = (short)StatusCode(mark.Kind), NpgsqlDbType = NpgsqlDbType.Smallint });
        command.Parameters.Add(new NpgsqlParameter
        {
            Value = mark.Kind == OutboxMarkKind.Retry ? mark.NextAttemptAt : DBNull.Value,
            NpgsqlDbType = NpgsqlDbType.TimestampTz,
        });
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)mark.Error ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask<IReadOnlyList<ConversationKey>> FindDueOutboxAsync(DateTimeOffset now, ShardSet? shards, int max, CancellationToken cancellationToken)
    {
        if (shards is { Shards.Count: 0 }) return [];
        if (shards is not null && shards.ShardCount != ShardCount)
            return Filter(await FindDueOutboxAsync(now, null, int.MaxValue, cancellationToken), shards, max);
        await using var command = dataSource.CreateCommand(StoreSql.FindDueOutbox);
        command.Parameters.Add(new NpgsqlParameter { Value = now, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(ShardArray(shards));
        command.Parameters.Add(Int(max));
        return await ReadKeysAsync(command, cancellationToken);
    }

    public async ValueTask<IReadOnlyList<ConversationKey>> FindPendingInboxAsync(ShardSet? shards, int max, CancellationToken cancellationToken)
    {
        if (shards is { Shards.Count: 0 }) return [];
        if (shards is not null && shards.ShardCount != ShardCount)
            return Filter(await FindPendingInboxAsync(null, int.MaxValue, cancellationToken), shards, max);
        await using var command = dataSource.CreateCommand(StoreSql.FindPendingInbox);
        command.Parameters.Add(ShardArray(shards));
        command.Parameters.Add(Int(max));
        return await ReadKeysAsync(command, cancellationToken);
    }

    /// <summary>Conversations in the given shards with events pending longer than <paramref name="olderThan"/> (database time).</summary>
    public async ValueTask<IReadOnlyList<ConversationKey>> FindStalePendingInboxAsync(ShardSet shards, TimeSpan olderThan, int max, CancellationToken cancellationToken)
    {
        if (shards.Shards.Count == 0) return [];
        await using var command = dataSource.CreateCommand(StoreSql.FindStalePendingInbox);
        command.Parameters.Add(ShardArray(shards));
        command.Parameters.Add(new NpgsqlParameter { Value = olderThan, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(Int(max));
        return await ReadKeysAsync(command, cancellationToken);
    }

    public async ValueTask<IReadOnlyList<ParkedAction>> ReadParkedAsync(int max, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StoreSql.ReadParked);
        command.Parameters.Add(Int(max));
        var parked = new List<ParkedAction>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            parked.Add(new ParkedAction(new ConversationKey(reader.GetString(0), reader.GetString(1)), ReadOutboxMessage(reader, 2)));
        return parked;
    }

    public async ValueTask<ConversationRecord?> ReadAsync(ConversationKey key, CancellationToken cancellationToken)
    {
        long version, fence;
        byte[] state;
        int pending;
        await using (var command = dataSource.CreateCommand(StoreSql.ReadConversation))
        {
            command.Parameters.Add(Text(key.Tenant));
            command.Parameters.Add(Text(key.ConversationId));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) return null;
            (version, fence, state, pending) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2), reader.GetInt32(3));
        }
        var outbox = new List<OutboxMessage>();
        await using (var command = dataSource.CreateCommand(StoreSql.ReadConversationOutbox))
        {
            command.Parameters.Add(Text(key.Tenant));
            command.Parameters.Add(Text(key.ConversationId));
            command.Parameters.Add(Int(RecentSentShown));
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) outbox.Add(ReadOutboxMessage(reader, 0));
        }
        return new ConversationRecord(key, version, fence, state, pending, outbox);
    }

    public async ValueTask SetValueAsync(string tenant, string name, string value, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StoreSql.SetValue);
        command.Parameters.Add(Text(tenant));
        command.Parameters.Add(Text(name));
        command.Parameters.Add(Text(value));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask<string?> GetValueAsync(string tenant, string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StoreSql.GetValue);
        command.Parameters.Add(Text(tenant));
        command.Parameters.Add(Text(name));
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    public async ValueTask PingAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("select 1");
        await command.ExecuteScalarAsync(cancellationToken);
    }

    /// <summary>Deletes processed inbox rows and sent outbox rows older than the window, in bounded batches.</summary>
    public async Task<(int Inbox, int Outbox)> DeleteExpiredAsync(TimeSpan window, int batchSize, CancellationToken cancellationToken)
    {
        return (await DeleteAsync(StoreSql.DeleteOldInbox), await DeleteAsync(StoreSql.DeleteOldOutbox));

        async Task<int> DeleteAsync(string sql)
        {
            var total = 0;
            while (true)
            {
                await using var command = dataSource.CreateCommand(sql);
                command.Parameters.Add(new NpgsqlParameter { Value = window, NpgsqlDbType = NpgsqlDbType.Interval });
                command.Parameters.Add(Int(batchSize));
                var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
                total += deleted;
                if (deleted < batchSize) return total;
            }
        }
    }

    // A shard set of another shard count cannot use the stored shard column: filter by key instead (never on the cluster's path).
    private static List<ConversationKey> Filter(IReadOnlyList<ConversationKey> keys, ShardSet shards, int max) =>
        keys.Where(shards.Contains).Take(max).ToList();

    private static OutboxMessage ReadOutboxMessage(NpgsqlDataReader reader, int offset) => new(
        reader.GetInt64(offset),
        reader.GetString(offset + 1),
        reader.GetFieldValue<byte[]>(offset + 2),
        (OutboxStatus)reader.GetInt16(offset + 3),
        reader.GetInt32(offset + 4),
        reader.GetFieldValue<DateTimeOffset>(offset + 5),
        reader.IsDBNull(offset + 6) ? null : reader.GetString(offset + 6));

    private static async Task<IReadOnlyList<ConversationKey>> ReadKeysAsync(NpgsqlCommand command, CancellationToken cancellationToken)
    {
        var keys = new List<ConversationKey>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) keys.Add(new ConversationKey(reader.GetString(0), reader.GetString(1)));
        return keys;
    }

    private static int StatusCode(OutboxMarkKind kind) => kind switch
    {
        OutboxMarkKind.Sent => (int)OutboxStatus.Sent,
        OutboxMarkKind.Parked => (int)OutboxStatus.Parked,
        _ => (int)OutboxStatus.Pending,
    };

    private static NpgsqlParameter ShardArray(ShardSet? shards) => new()
    {
        Value = shards is null ? DBNull.Value : shards.Shards.ToArray(),
        NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer,
    };

    private static NpgsqlParameter Text(string value) => new() { Value = value, NpgsqlDbType = NpgsqlDbType.Text };
    private static NpgsqlParameter Int(int value) => new() { Value = value, NpgsqlDbType = NpgsqlDbType.Integer };
    private static NpgsqlParameter Long(long value) => new() { Value = value, NpgsqlDbType = NpgsqlDbType.Bigint };
}
