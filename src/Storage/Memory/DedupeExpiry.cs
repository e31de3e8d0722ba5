namespace Conversations.Storage.Memory;

/// <summary>
/// Forgets dedupe keys once they are older than the dedupe window, so a long-running embedded node
/// does not keep every key forever. Keys are tracked in arrival order; pruning walks the old end.
/// </summary>
internal sealed class DedupeExpiry(TimeSpan window, TimeProvider time)
{
    private readonly Queue<(DateTimeOffset At, MemoryConversation Conversation, string Key)> _keys = new();
    private readonly Lock _lock = new();
    private DateTimeOffset _nextPrune = time.GetUtcNow() + TimeSpan.FromMinutes(1);

    public void Track(MemoryConversation conversation, string key, DateTimeOffset at)
    {
        lock (_lock) _keys.Enqueue((at, conversation, key));
    }

    public void PruneIfDue(DateTimeOffset now)
    {
        if (now < _nextPrune) return;
        var cutoff = now - window;
        while (true)
        {
            (DateTimeOffset At, MemoryConversation Conversation, string Key) oldest;
            lock (_lock)
            {
                _nextPrune = now + TimeSpan.FromMinutes(1);
                if (_keys.Count == 0 || _keys.Peek().At > cutoff) return;
                oldest = _keys.Dequeue();
            }
            lock (oldest.Conversation) oldest.Conversation.DedupeKeys.Remove(oldest.Key);
        }
    }
}
