namespace Conversations.Runtime.Store.Postgres;

/// <summary>
/// The payload of a wake-up NOTIFY: <c>shard:tenant:conversationId</c> (tenants have no colon; the
/// conversation id may). Keys too long for NOTIFY's 8000-byte limit carry only the shard, and the
/// receiver sweeps the shard instead.
/// </summary>
public static class WakePayload
{
    private const int MaxLength = 4000;

    public static string Format(int shard, ConversationKey key)
    {
        var payload = $"{shard}:{key.Tenant}:{key.ConversationId}";
        return payload.Length <= MaxLength ? payload : shard.ToString(System.Globalization.CultureInfo.InvariantCulture);
    }

    public static bool TryParse(string payload, out int shard, out ConversationKey? key)
    {
        key = null;
        var first = payload.IndexOf(':', StringComparison.Ordinal);
        var shardText = first < 0 ? payload : payload[..first];
        if (!int.TryParse(shardText, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out shard)) return false;
        if (first < 0) return true;
        var second = payload.IndexOf(':', first + 1);
        if (second < 0 || second == first + 1 || second == payload.Length - 1) return false;
        key = new ConversationKey(payload[(first + 1)..second], payload[(second + 1)..]);
        return true;
    }
}
