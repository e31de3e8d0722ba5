namespace Conversations.Storage.Memory;

/// <summary>One conversation's inbox in the Memory store. Guarded by locking the instance.</summary>
internal sealed class MemoryConversation(ConversationKey key)
{
    public ConversationKey Key { get; } = key;
    public long NextSequence = 1;

    /// <summary>Events not yet marked consumed, in sequence order.</summary>
    public readonly List<InboxMessage> Unconsumed = [];
    public readonly HashSet<string> DedupeKeys = new(StringComparer.Ordinal);
    public readonly List<OutboxMessage> Parked = [];
}
