namespace Conversations.Runtime.Store.Memory;

/// <summary>One conversation's rows in the Memory store. Guarded by locking the instance.</summary>
internal sealed class MemoryConversation(ConversationKey key)
{
    public ConversationKey Key { get; } = key;
    public long Version;
    public long Fence;
    public byte[] State = [];
    public long NextSequence = 1;
    public readonly List<InboxMessage> Pending = [];
    public readonly HashSet<string> DedupeKeys = new(StringComparer.Ordinal);
    public readonly List<MemoryOutboxRow> Outbox = [];

    public int PendingOutboxCount;

    public MemoryOutboxRow? FindOutbox(long id)
    {
        foreach (var row in Outbox) if (row.Id == id) return row;
        return null;
    }
}

/// <summary>A mutable outbox row; snapshots go out as <see cref="OutboxMessage"/>.</summary>
internal sealed class MemoryOutboxRow(long id, NewOutboxMessage message, DateTimeOffset due)
{
    public long Id { get; } = id;
    public string Kind { get; } = message.Kind;
    public ReadOnlyMemory<byte> Payload { get; } = message.Payload.ToArray();
    public OutboxStatus Status = OutboxStatus.Pending;
    public int Attempts;
    public DateTimeOffset NextAttemptAt = due;
    public string? LastError;

    public OutboxMessage Snapshot() => new(Id, Kind, Payload, Status, Attempts, NextAttemptAt, LastError);
}
