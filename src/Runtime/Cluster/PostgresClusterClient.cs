using Conversations.Runtime.Store;
using Conversations.Runtime.Store.Postgres;

namespace Conversations.Runtime.Cluster;

/// <summary>
/// The gateway's way in when the store is PostgreSQL: append durably and NOTIFY the conversation in
/// the same transaction (group-committed with the other appends in flight), so whichever silo owns
/// its shard, in this process or another, is woken at commit. A lost notification only adds
/// latency: owners also poll their shards.
/// </summary>
public sealed class PostgresClusterClient(InboxAppendBatcher batcher) : IClusterClient
{
    public ValueTask<AppendResult> DeliverAsync(ConversationKey key, IReadOnlyList<NewInboxMessage> messages, CancellationToken cancellationToken) =>
        batcher.AppendAsync(key, messages, notify: true, cancellationToken);
}
