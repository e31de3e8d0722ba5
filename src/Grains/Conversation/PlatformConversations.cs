namespace Conversations.Grains.Conversation;

/// <summary>The registered platform seams and action senders, looked up by a tenant's platform.</summary>
public sealed class PlatformConversations(IEnumerable<IPlatformConversation> conversations, IEnumerable<IPlatformActionSender> senders)
{
    private readonly Dictionary<PlatformKind, IPlatformConversation> _conversations = conversations.ToDictionary(c => c.Platform);
    private readonly Dictionary<PlatformKind, IPlatformActionSender> _senders = senders.ToDictionary(s => s.Platform);

    public IPlatformConversation? Find(PlatformKind platform) => _conversations.GetValueOrDefault(platform);

    public IPlatformActionSender? FindSender(PlatformKind platform) => _senders.GetValueOrDefault(platform);
}
