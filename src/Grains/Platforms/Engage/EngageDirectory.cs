using System.Collections.Concurrent;
using Conversations.Grains.Platforms.Engage.Api;

namespace Conversations.Grains.Platforms.Engage;

/// <summary>
/// Cached reference data per tenant (Engage's directory endpoints are slow and rate-limited): customer identities (display name,
/// links to agents) and the bot user's identity ids (filter rule 3). Each is fetched once per
/// <see cref="EngageClientOptions.IdentityCacheTtl"/>; concurrent misses share one request; a
/// failed fetch is not cached.
/// </summary>
public sealed class EngageDirectory(EngageClientOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Tenant, string Id), Entry<EngageIdentity?>> _identities = new();
    private readonly ConcurrentDictionary<string, Entry<IReadOnlySet<string>>> _botIdentities = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> _learned = new(StringComparer.Ordinal);

    /// <summary>The identity, or null when Engage does not know it (404): a missing name is not worth failing a turn.</summary>
    public Task<EngageIdentity?> GetIdentityAsync(EngageApiClient api, string identityId, CancellationToken cancellationToken)
    {
        var task = GetOrFetch(_identities, (api.Tenant, identityId), Fetch);
        TrimIdentities();
        return task.WaitAsync(cancellationToken);

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
    public Task<IReadOnlySet<string>> GetBotIdentityIdsAsync(EngageApiClient api, TenantOptions tenant, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(tenant.BotIdentity)) return Task.FromResult<IReadOnlySet<string>>(new HashSet<string>());
        return GetOrFetch(_botIdentities, tenant.Id, Fetch).WaitAsync(cancellationToken);

        async Task<IReadOnlySet<string>> Fetch()
        {
            var user = await api.GetUserAsync(tenant.BotIdentity, CancellationToken.None).ConfigureAwait(false);
            return new HashSet<string>(user.IdentityIds ?? [], StringComparer.Ordinal);
        }
    }

    /// <summary>
    /// Remembers who authored a content the bot posted (Engage answers <c>POST /contents</c> with it), so the
    /// bot's echoes are recognized even when <c>BotIdentity</c> is not configured.
    /// </summary>
    public void LearnOwnContent(string tenant, string? creatorId, string? authorId)
    {
        var learned = _learned.GetOrAdd(tenant, _ => new ConcurrentDictionary<string, byte>(StringComparer.Ordinal));
        if (!string.IsNullOrEmpty(creatorId)) learned.TryAdd(creatorId, 0);
        if (!string.IsNullOrEmpty(authorId)) learned.TryAdd(authorId, 0);
    }

    /// <summary>True when the id is a user or identity the bot posted as (learned from its own replies).</summary>
    public bool IsLearnedBotId(string tenant, string? id) =>
        !string.IsNullOrEmpty(id) && _learned.TryGetValue(tenant, out var learned) && learned.ContainsKey(id);

    private Task<T> GetOrFetch<TKey, T>(ConcurrentDictionary<TKey, Entry<T>> cache, TKey key, Func<Task<T>> fetch) where TKey : notnull
    {
        var now = time.GetUtcNow();
        // Lazy: AddOrUpdate may build several candidates under contention, only the stored one runs.
        var entry = cache.AddOrUpdate(key,
            _ => new Entry<T>(new Lazy<Task<T>>(fetch), now + options.IdentityCacheTtl),
            (_, old) => old.ExpiresAt > now && !old.Failed ? old : new Entry<T>(new Lazy<Task<T>>(fetch), now + options.IdentityCacheTtl));
        return entry.Value.Value;
    }

    private void TrimIdentities()
    {
        if (_identities.Count <= options.IdentityCacheSize) return;
        foreach (var oldest in _identities.OrderBy(p => p.Value.ExpiresAt).Take(_identities.Count - options.IdentityCacheSize / 2).ToList())
            _identities.TryRemove(oldest.Key, out _);
    }

    private sealed record Entry<T>(Lazy<Task<T>> Value, DateTimeOffset ExpiresAt)
    {
        public bool Failed => Value.IsValueCreated && (Value.Value.IsFaulted || Value.Value.IsCanceled);
    }
}
