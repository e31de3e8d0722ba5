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

    public override string ToString() => $"{Tenant}/{ConversationId}";
}
