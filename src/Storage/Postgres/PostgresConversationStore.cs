using Npgsql;
using NpgsqlTypes;

namespace Conversations.Storage.Postgres;

/// <summary>
/// The durable store: plain SQL over Npgsql, one round trip per operation. Appends go through the
/// <see cref="InboxAppendBatcher"/> (group commit), so concurrent webhooks share commits.
/// </summary>
public sealed class PostgresConversationStore(NpgsqlDataSource dataSource, InboxAppendBatcher appends) : IConversationStore
{
    public NpgsqlDataSource DataSource => dataSource;

    public ValueTask<AppendResult> AppendAsync(ConversationKey key, IReadOnlyList<NewInboxMessage> messages, CancellationToken cancellationToken) =>
        appends.AppendAsync(key, messages, cancellationToken);

    public async ValueTask<IReadOnlyList<InboxMessage>> ReadAfterAsync(ConversationKey key, long afterSequence, int max, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StoreSql.ReadAfter);
        command.Parameters.Add(Text(key.Tenant));
        command.Parameters.Add(Text(key.ConversationId));
        command.Parameters.Add(Long(afterSequence));
        command.Parameters.Add(Int(max));
        var messages = new List<InboxMessage>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            messages.Add(new InboxMessage(reader.GetInt64(0), reader.GetString(1), reader.GetString(2),
                reader.GetFieldValue<byte[]>(3), reader.GetFieldValue<DateTimeOffset>(4), reader.IsDBNull(5) ? null : reader.GetString(5)));
        return messages;
    }

    public async ValueTask MarkConsumedAsync(ConversationKey key, long upToSequence, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StoreSql.MarkConsumed);
        command.Parameters.Add(Text(key.Tenant));
        command.Parameters.Add(Text(key.ConversationId));
        command.Parameters.Add(Long(upToSequence));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask<IReadOnlyList<ConversationKey>> FindUnconsumedAsync(TimeSpan olderThan, int max, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StoreSql.FindUnconsumed);
        command.Parameters.Add(new NpgsqlParameter { Value = olderThan, NpgsqlDbType = NpgsqlDbType.Interval });
        command.Parameters.Add(Int(max));
        var keys = new List<ConversationKey>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) keys.Add(new ConversationKey(reader.GetString(0), reader.GetString(1)));
        return keys;
    }

    public async ValueTask<TimeSpan?> OldestUnconsumedAgeAsync(CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StoreSql.OldestUnconsumedAge);
        return await command.ExecuteScalarAsync(cancellationToken) is TimeSpan age ? age : null;
    }

    public async ValueTask<int> CountAfterAsync(ConversationKey key, long afterSequence, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StoreSql.CountAfter);
        command.Parameters.Add(Text(key.Tenant));
        command.Parameters.Add(Text(key.ConversationId));
        command.Parameters.Add(Long(afterSequence));
        return (int)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async ValueTask ParkAsync(ConversationKey key, OutboxMessage action, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StoreSql.Park);
        command.Parameters.Add(Text(key.Tenant));
        command.Parameters.Add(Text(key.ConversationId));
        command.Parameters.Add(Long(action.Id));
        command.Parameters.Add(Text(action.Kind));
        command.Parameters.Add(new NpgsqlParameter { Value = action.Payload.ToArray(), NpgsqlDbType = NpgsqlDbType.Bytea });
        command.Parameters.Add(Int(action.Attempts));
        command.Parameters.Add(new NpgsqlParameter { Value = (object?)action.LastError ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask<IReadOnlyList<ParkedAction>> ReadParkedAsync(int max, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StoreSql.ReadParked);
        command.Parameters.Add(Int(max));
        var parked = new List<ParkedAction>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            parked.Add(new ParkedAction(new ConversationKey(reader.GetString(0), reader.GetString(1)), ReadParkedRow(reader, 2)));
        return parked;
    }

    public async ValueTask<IReadOnlyList<OutboxMessage>> ReadParkedAsync(ConversationKey key, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StoreSql.ReadConversationParked);
        command.Parameters.Add(Text(key.Tenant));
        command.Parameters.Add(Text(key.ConversationId));
        var parked = new List<OutboxMessage>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) parked.Add(ReadParkedRow(reader, 0));
        return parked;
    }

    public async ValueTask<bool> RemoveParkedAsync(ConversationKey key, long actionId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StoreSql.RemoveParked);
        command.Parameters.Add(Text(key.Tenant));
        command.Parameters.Add(Text(key.ConversationId));
        command.Parameters.Add(Long(actionId));
        return await command.ExecuteNonQueryAsync(cancellationToken) > 0;
    }

    public async ValueTask UpsertDirectoryAsync(ConversationDirectoryEntry entry, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StoreSql.UpsertDirectory);
        command.Parameters.Add(Text(entry.Tenant));
        command.Parameters.Add(Text(entry.ConversationId));
        command.Parameters.Add(NullableText(entry.Mode));
        command.Parameters.Add(NullableText(entry.HandoffReason));
        command.Parameters.Add(Timestamp(entry.LastActivityAt));
        command.Parameters.Add(Timestamp(entry.UpdatedAt));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask<ConversationDirectoryPage> ListConversationsAsync(ConversationDirectoryFilter filter, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(StoreSql.ListConversations);
        command.Parameters.Add(NullableText(filter.Tenant));
        command.Parameters.Add(NullableText(filter.Mode));
        command.Parameters.Add(NullableText(filter.HandoffReason));
        command.Parameters.Add(new NpgsqlParameter { Value = filter.ActiveSince is { } since ? since.ToUniversalTime() : DBNull.Value, NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(Int(Math.Max(filter.PageSize, 1)));
        command.Parameters.Add(Int(filter.Offset));
        var entries = new List<ConversationDirectoryEntry>();
        var total = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            total = reader.GetInt32(0);
            if (reader.IsDBNull(1)) continue;
            entries.Add(new ConversationDirectoryEntry(reader.GetString(1), reader.GetString(2),
                reader.IsDBNull(3) ? null : reader.GetString(3), reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.GetFieldValue<DateTimeOffset>(5), reader.GetFieldValue<DateTimeOffset>(6)));
        }
        return new ConversationDirectoryPage(entries, total);
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

    /// <summary>
    /// Deletes consumed inbox rows (and so their dedupe keys) older than the window, in bounded
    /// batches, unless another process is sweeping now. Returns the rows deleted, or null when skipped.
    /// </summary>
    public async Task<int?> DeleteExpiredAsync(TimeSpan window, int batchSize, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using (var tryLock = new NpgsqlCommand(StoreSql.TryRetentionLock, connection))
            if (!(bool)(await tryLock.ExecuteScalarAsync(cancellationToken))!) return null;
        try
        {
            var total = 0;
            while (true)
            {
                await using var command = new NpgsqlCommand(StoreSql.DeleteOldInbox, connection);
                command.Parameters.Add(new NpgsqlParameter { Value = window, NpgsqlDbType = NpgsqlDbType.Interval });
                command.Parameters.Add(Int(batchSize));
                var deleted = await command.ExecuteNonQueryAsync(cancellationToken);
                total += deleted;
                if (deleted < batchSize) return total;
            }
        }
        finally
        {
            await using var unlock = new NpgsqlCommand(StoreSql.RetentionUnlock, connection);
            await unlock.ExecuteScalarAsync(CancellationToken.None);
        }
    }

    private static OutboxMessage ReadParkedRow(NpgsqlDataReader reader, int offset) => new(
        reader.GetInt64(offset),
        reader.GetString(offset + 1),
        reader.GetFieldValue<byte[]>(offset + 2),
        OutboxStatus.Parked,
        reader.GetInt32(offset + 3),
        reader.GetFieldValue<DateTimeOffset>(offset + 4),
        reader.IsDBNull(offset + 5) ? null : reader.GetString(offset + 5));

    private static NpgsqlParameter Text(string value) => new() { Value = value, NpgsqlDbType = NpgsqlDbType.Text };
    private static NpgsqlParameter NullableText(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
    private static NpgsqlParameter Timestamp(DateTimeOffset value) => new() { Value = value.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz };
    private static NpgsqlParameter Int(int value) => new() { Value = value, NpgsqlDbType = NpgsqlDbType.Integer };
    private static NpgsqlParameter Long(long value) => new() { Value = value, NpgsqlDbType = NpgsqlDbType.Bigint };
}
