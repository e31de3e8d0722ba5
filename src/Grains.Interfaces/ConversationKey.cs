using System.Text;

namespace Conversations;

/// <summary>
/// Identifies one conversation: the tenant (a configured platform account) and the platform's own
/// conversation id (Chatwoot <c>{accountId}:{displayId}</c>, Engage thread id).
/// </summary>
public readonly record struct ConversationKey
{
    public ConversationKey(string tenant, string conversationId)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenant);
        ArgumentException.ThrowIfNullOrEmpty(conversationId);
        Tenant = tenant;
        ConversationId = conversationId;
    }

    public string Tenant { get; }
    public string ConversationId { get; }

    /// <summary>
    /// 64-bit FNV-1a over the UTF-8 bytes of <c>tenant + '\n' + conversationId</c>. Stable across
    /// processes and versions (unlike <see cref="string.GetHashCode()"/>): shard placement depends on it.
    /// </summary>
    public ulong StableHash()
    {
        const ulong offset = 14695981039346656037UL;
        const ulong prime = 1099511628211UL;
        var hash = offset;
        Span<byte> buffer = stackalloc byte[256];
        hash = Fold(hash, Tenant, buffer);
        hash = (hash ^ (byte)'\n') * prime;
        return Fold(hash, ConversationId, buffer);

        static ulong Fold(ulong hash, string text, Span<byte> buffer)
        {
            var bytes = Encoding.UTF8.GetMaxByteCount(text.Length) <= buffer.Length
                ? buffer[..Encoding.UTF8.GetBytes(text, buffer)]
                : Encoding.UTF8.GetBytes(text);
            foreach (var b in bytes) hash = (hash ^ b) * prime;
            return hash;
        }
    }

    /// <summary>The shard this conversation belongs to, for a fixed shard count.</summary>
    public int Shard(int shardCount) => (int)(StableHash() % (ulong)shardCount);

    public override string ToString() => $"{Tenant}/{ConversationId}";
}
