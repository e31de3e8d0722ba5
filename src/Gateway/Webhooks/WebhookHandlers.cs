namespace Conversations.Gateway.Webhooks;

/// <summary>The registered platform handlers, looked up by the URL's platform segment (case-insensitive, names only).</summary>
public sealed class WebhookHandlers
{
    private readonly Dictionary<PlatformKind, IWebhookHandler> _byPlatform;

    public WebhookHandlers(IEnumerable<IWebhookHandler> handlers)
    {
        _byPlatform = [];
        foreach (var handler in handlers)
        {
            if (!_byPlatform.TryAdd(handler.Platform, handler))
                throw new InvalidOperationException($"More than one IWebhookHandler is registered for {handler.Platform}.");
        }
    }

    /// <summary>The platform a URL segment names. Enum.TryParse is not used: it would accept "0" or "chatwoot,engage".</summary>
    public static bool TryParsePlatform(string segment, out PlatformKind platform)
    {
        foreach (var candidate in Enum.GetValues<PlatformKind>())
        {
            if (string.Equals(candidate.ToString(), segment, StringComparison.OrdinalIgnoreCase))
            {
                platform = candidate;
                return true;
            }
        }
        platform = default;
        return false;
    }

    public IWebhookHandler? Find(PlatformKind platform) => _byPlatform.GetValueOrDefault(platform);
}
