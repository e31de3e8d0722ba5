using System.Threading.Channels;
using Npgsql;
using NpgsqlTypes;

namespace Conversations.Storage.Postgres;

/// <summary>
/// Group commit for gateways: appends that arrive together are written by one statement in one
/// transaction so a busy gateway pays one commit per batch
/// instead of one per webhook. Each caller still returns only after its rows have committed, and a
/// failed batch fails every caller in it (the gateway answers 500 and the platform retries). A few
/// writers run at once, so a batch forms while the previous one commits. Rows keep the order of
/// arrival; a dedupe key repeated within a batch counts as a duplicate, as it would one by one.
/// </summary>
public sealed class InboxAppendBatcher : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly int _maxBatch;
    private readonly Channel<Request> _requests = Channel.CreateUnbounded<Request>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Task[] _writers;

    public InboxAppendBatcher(NpgsqlDataSource dataSource, int maxBatch, int writers)
    {
        _dataSource = dataSource;
        _maxBatch = Math.Max(1, maxBatch);
        _writers = Enumerable.Range(0, Math.Max(1, writers)).Select(_ => Task.Run(WriteAsync)).ToArray();
    }

    private sealed class Request(ConversationKey key, IReadOnlyList<NewInboxMessage> messages)
    {
        public ConversationKey Key { get; } = key;
        public IReadOnlyList<NewInboxMessage> Messages { get; } = messages;
        public int Duplicates;
        public int Appended;
        public long LastSequence;
        public readonly TaskCompletionSource<AppendResult> Done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public async ValueTask<AppendResult> AppendAsync(ConversationKey key, IReadOnlyList<NewInboxMessage> messages, CancellationToken cancellationToken)
    {
        if (messages.Count == 0) return new AppendResult(0, 0);
        var request = new Request(key, messages);
        if (!_requests.Writer.TryWrite(request)) throw new ObjectDisposedException(nameof(InboxAppendBatcher));
        return await request.Done.Task.WaitAsync(cancellationToken);
    }

    private async Task WriteAsync()
    {
        var batch = new List<Request>(_maxBatch);
        while (await _requests.Reader.WaitToReadAsync())
        {
            batch.Clear();
            var rows = 0;
            while (rows < _maxBatch && _requests.Reader.TryRead(out var request))
            {
                batch.Add(request);
                rows += request.Messages.Count;
            }
            if (batch.Count == 0) continue;
            try
            {
                try { await WriteBatchAsync(batch); }
                catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.DeadlockDetected or PostgresErrorCodes.SerializationFailure)
                {
                    // Rare (head rows are locked in key order); the whole batch rolled back, so once more is safe.
                    await WriteBatchAsync(batch);
                }
                foreach (var request in batch) request.Done.TrySetResult(new AppendResult(request.Appended, request.Duplicates, request.LastSequence));
            }
            catch (Exception ex)
            {
                foreach (var request in batch) request.Done.TrySetException(ex);
            }
        }
    }

    private async Task WriteBatchAsync(List<Request> batch)
    {
        var seen = new HashSet<(string, string, string)>();
        var index = new List<int>();
        var tenants = new List<string>();
        var conversations = new List<string>();
        var keys = new List<string>();
        var types = new List<string>();
        var bodies = new List<byte[]>();
        var traces = new List<string?>();
        for (var r = 0; r < batch.Count; r++)
        {
            var request = batch[r];
            request.Appended = 0;
            request.Duplicates = 0;
            request.LastSequence = 0;
            foreach (var message in request.Messages)
            {
                if (!seen.Add((request.Key.Tenant, request.Key.ConversationId, message.DedupeKey))) { request.Duplicates++; continue; }
                index.Add(r);
                tenants.Add(request.Key.Tenant);
                conversations.Add(request.Key.ConversationId);
                keys.Add(message.DedupeKey);
                types.Add(message.Type);
                bodies.Add(message.Body.ToArray());
                traces.Add(message.TraceParent);
            }
        }

        await using var command = _dataSource.CreateCommand(StoreSql.AppendBatch);
        command.Parameters.Add(Array(index.ToArray(), NpgsqlDbType.Integer));
        command.Parameters.Add(Array(tenants.ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(Array(conversations.ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(Array(keys.ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(Array(types.ToArray(), NpgsqlDbType.Text));
        command.Parameters.Add(Array(bodies.ToArray(), NpgsqlDbType.Bytea));
        command.Parameters.Add(Array(traces.ToArray(), NpgsqlDbType.Text));
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync())
        {
            var request = batch[reader.GetInt32(0)];
            var appended = reader.GetInt32(1);
            request.Appended += appended;
            request.Duplicates += reader.GetInt32(2) - appended;
            request.LastSequence = Math.Max(request.LastSequence, reader.GetInt64(3));
        }
    }

    private static NpgsqlParameter Array(object values, NpgsqlDbType type) => new() { Value = values, NpgsqlDbType = NpgsqlDbType.Array | type };

    public async ValueTask DisposeAsync()
    {
        _requests.Writer.TryComplete();
        await Task.WhenAll(_writers);
    }
}
