using System.Collections.Concurrent;
using Conversations.Storage;

namespace Conversations.Gateway.Webhooks.Chatwoot;

/// <summary>
/// Conversation events carry no account id; a global bot serving many accounts learns inbox → account
/// from message events and keeps it in the store (so it survives restarts and is shared by gateways).
/// </summary>
public sealed class ChatwootInboxAccounts(IConversationStore store)
{
    private readonly ConcurrentDictionary<(string Tenant, string Inbox), string> _known = new();

    public static string StoreName(string inboxId) => $"chatwoot:inbox:{inboxId}:account";

    public async ValueTask RememberAsync(string tenant, string inboxId, string accountId, CancellationToken cancellationToken)
    {
        if (_known.TryGetValue((tenant, inboxId), out var known) && known == accountId) return;
        await store.SetValueAsync(tenant, StoreName(inboxId), accountId, cancellationToken);
        _known[(tenant, inboxId)] = accountId;
    }

    public async ValueTask<string?> FindAsync(string tenant, string inboxId, CancellationToken cancellationToken)
    {
        if (_known.TryGetValue((tenant, inboxId), out var known)) return known;
        var stored = await store.GetValueAsync(tenant, StoreName(inboxId), cancellationToken);
        if (stored is not null) _known[(tenant, inboxId)] = stored;
        return stored;
    }
}
