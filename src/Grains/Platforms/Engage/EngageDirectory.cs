using System.Collections.Concurrent;
using Conversations.Grains.Platforms.Engage.Api;

namespace Conversations.Grains.Platforms.Engage;

/// <summary>
/// Cached reference data per tenant (engage.md 4.2 pitfall 14): customer identities (display name,
/// links to agents) and the bot user's identity ids (filter rule 3). Each is fetched once per
/// <see cref="EngageClientOptions.IdentityCacheTtl"/>; concurrent misses share one request.
/// </summary>
public sealed class EngageDirectory(EngageClientOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Tenant, string Id), Entry<EngageIdentity?>> _identities = new();
    private readonly ConcurrentDictionary<string, Entry<IReadOnlySet<string>>> _botIdentities = new(StringComparer.Ordinal);

    /// <summary>The identity, or null when Engage does not know it (404): a missing name is not worth failing a turn.</summary>
    public async Task<EngageIdentity?> GetIdentityAsync(EngageApiClient api, string identityId, CancellationToken cancellationToken)
    {
        var key = (api.Tenant, identityId);
        var now = time.GetUtcNow();
        if (_identities.TryGetValue(key, out var cached) && cached.ExpiresAt > now && cached.Value.IsCompletedSuccessfully) return await cached.Value.ConfigureAwait(false);
        var entry = _identities.AddOrUpdate(key,
            _ => new Entry<EngageIdentity?>(Fetch(), now + options.IdentityCacheTtl),
            (_, old) => old.ExpiresAt > now && !old.Value.IsFaulted ? old : new Entry<EngageIdentity?>(Fetch(), now + options.IdentityCacheTtl));
        TrimIdentities();
        return await entry.Value.WaitAsync(cancellationToken).ConfigureAwait(false);

        async Task<EngageIdentity?> Fetch()
        {
            try
            {
                return await api.GetIdentityAsync(identityId, CancellationToken.None).ConfigureAwait(false);
            }
            catch (EngageApiException ex) when (ex.Status == System.Net.HttpStatusCode.NotFound)
            {
                return null; // unknown (or unreadable) identities are remembered too
            }
        }
    }

    /// <summary>The bot user's identity ids (from <c>GET /users/{BotIdentity}</c>); empty when no bot user is configured.</summary>
    public async Task<IReadOnlySet<string>> GetBotIdentityIdsAsync(EngageApiClient api, TenantOptions tenant, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(tenant.BotIdentity)) return new HashSet<string>();
        var now = time.GetUtcNow();
        var entry = _botIdentities.AddOrUpdate(tenant.Id,
            _ => new Entry<IReadOnlySet<string>>(Fetch(), now + options.IdentityCacheTtl),
            (_, old) => old.ExpiresAt > now && !old.Value.IsFaulted ? old : new Entry<IReadOnlySet<string>>(Fetch(), now + options.IdentityCacheTtl));
        return await entry.Value.WaitAsync(cancellationToken).ConfigureAwait(false);

        async Task<IReadOnlySet<string>> Fetch()
        {
            var user = await api.GetUserAsync(tenant.BotIdentity, CancellationToken.None).ConfigureAwait(false);
            return new HashSet<string>(user.IdentityIds ?? [], StringComparer.Ordinal);
        }
    }

    private void TrimIdentities()
    {
        if (_identities.Count <= options.IdentityCacheSize) return;
        foreach (var oldest in _identities.OrderBy(p => p.Value.ExpiresAt).Take(_identities.Count - options.IdentityCacheSize / 2).ToList())
            _identities.TryRemove(oldest.Key, out _);
    }

    private sealed record Entry<T>(Task<T> Value, DateTimeOffset ExpiresAt);
}
