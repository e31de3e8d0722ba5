namespace Conversations;

/// <summary>
/// The grain key of a conversation: <c>conversation/{tenant}/{conversationId}</c>. The tenant makes
/// keys unique across tenants (I7); the prefix keeps Orleans from reading a bare platform id that
/// looks like hex ("12345", an Engage thread id) as an integer key, which would make distinct ids collide.
/// Tenant ids never contain '/', so the first one after the prefix splits the two parts.
/// </summary>
public static class ConversationGrainKey
{
    public const string Prefix = "conversation/";

    public static string Format(ConversationKey key) => string.Concat(Prefix, key.Tenant, "/", key.ConversationId);

    public static ConversationKey Parse(string grainKey)
    {
        if (!grainKey.StartsWith(Prefix, StringComparison.Ordinal)) throw new FormatException($"'{grainKey}' is not a conversation grain key.");
        var rest = grainKey.AsSpan(Prefix.Length);
        var slash = rest.IndexOf('/');
        if (slash <= 0 || slash == rest.Length - 1) throw new FormatException($"'{grainKey}' is not a conversation grain key.");
        return new ConversationKey(rest[..slash].ToString(), rest[(slash + 1)..].ToString());
    }

    /// <summary>The conversation's grain.</summary>
    public static IConversationGrain GetConversation(this IGrainFactory grains, ConversationKey key) =>
        grains.GetGrain<IConversationGrain>(Format(key));
}
