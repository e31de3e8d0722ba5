using System.Net.Http.Headers;
using System.Text.Json;
using Conversations.Grains.Http;
using Conversations.Grains.Platforms.Engage.Http;

namespace Conversations.Grains.Platforms.Engage.Api;

/// <summary>
/// The Engage Digital REST API (<c>/1.0</c>) for one tenant: Bearer token, Rails-style
/// <c>x[]=</c> parameters (query string for reads, form body for writes), lenient JSON, errors as
/// <see cref="EngageApiException"/>. Rate limiting and read retries live in the HTTP handlers.
/// </summary>
public sealed class EngageApiClient
{
    /// <summary>The name of the <see cref="IHttpClientFactory"/> client that carries the Engage handlers.</summary>
    public const string HttpClientName = "conversations.engage";
    public const int MaxPageSize = 150;

    private readonly HttpClient _http;
    private readonly TenantOptions _tenant;
    private readonly Uri _base;
    private readonly EngageRequestTenant _requestTenant;

    public EngageApiClient(HttpClient http, TenantOptions tenant, TimeSpan attemptTimeout)
    {
        _http = http;
        _tenant = tenant;
        _base = BaseAddress(tenant.BaseUrl ?? throw new InvalidOperationException($"Engage tenant '{tenant.Id}' has no BaseUrl."));
        _requestTenant = new EngageRequestTenant(tenant.Id, tenant.Engage.RequestsPerMinute, attemptTimeout);
    }

    public string Tenant => _tenant.Id;

    /// <summary><c>https://x.api.engagement.dimelo.com</c> and <c>.../1.0</c> both become <c>.../1.0/</c>.</summary>
    public static Uri BaseAddress(string baseUrl)
    {
        var trimmed = baseUrl.TrimEnd('/');
        if (!trimmed.EndsWith("/1.0", StringComparison.Ordinal)) trimmed += "/1.0";
        return new Uri(trimmed + "/");
    }

    public Task<EngageUser> GetUserAsync(string userId, CancellationToken cancellationToken) =>
        SendAsync<EngageUser>(HttpMethod.Get, $"users/{Esc(userId)}", null, "GET /users/{id}", cancellationToken);

    public Task<EngageIdentity> GetIdentityAsync(string identityId, CancellationToken cancellationToken) =>
        SendAsync<EngageIdentity>(HttpMethod.Get, $"identities/{Esc(identityId)}", null, "GET /identities/{id}", cancellationToken);

    public Task<EngageThread> GetThreadAsync(string threadId, CancellationToken cancellationToken) =>
        SendAsync<EngageThread>(HttpMethod.Get, $"content_threads/{Esc(threadId)}", null, "GET /content_threads/{id}", cancellationToken);

    public Task<EngageContent> GetContentAsync(string contentId, CancellationToken cancellationToken) =>
        SendAsync<EngageContent>(HttpMethod.Get, $"contents/{Esc(contentId)}", null, "GET /contents/{id}", cancellationToken);

    /// <summary>The thread's most recent contents (newest first, as Engage orders them), at most <paramref name="limit"/> (≤ 150).</summary>
    public Task<EngageList<EngageContent>> GetThreadContentsAsync(string threadId, int limit, CancellationToken cancellationToken) =>
        SendListAsync<EngageContent>($"contents", new EngageParameters()
            .Add("q", $"thread:\"{threadId}\"")
            .Add("limit", Math.Clamp(limit, 1, MaxPageSize)), "GET /contents?q=thread", cancellationToken);

    /// <summary>
    /// <c>POST /contents</c>: a reply to <paramref name="inReplyToId"/> (plain text). Engage creates contents public
    /// by default, so a private one says so; a public one sends nothing (not every source knows the parameter).
    /// </summary>
    public Task<EngageContent> CreateReplyAsync(string inReplyToId, string body, CancellationToken cancellationToken, bool isPrivate = false) =>
        SendAsync<EngageContent>(HttpMethod.Post, "contents", new EngageParameters()
            .Add("in_reply_to_id", inReplyToId)
            .Add("body", body)
            .Add("private", isPrivate ? true : null)
            .Add("auto_submitted", true), "POST /contents", cancellationToken);

    /// <summary><c>POST /interventions?content_id=</c>: opens (or reopens) an intervention as the token's user.</summary>
    public Task<EngageIntervention> CreateInterventionAsync(string contentId, CancellationToken cancellationToken) =>
        SendAsync<EngageIntervention>(HttpMethod.Post, "interventions", new EngageParameters().Add("content_id", contentId), "POST /interventions", cancellationToken);

    public Task<EngageIntervention> CloseInterventionAsync(string interventionId, CancellationToken cancellationToken) =>
        SendAsync<EngageIntervention>(HttpMethod.Put, $"interventions/{Esc(interventionId)}/close", null, "PUT /interventions/{id}/close", cancellationToken);

    public Task<EngageIntervention> CancelInterventionAsync(string interventionId, CancellationToken cancellationToken) =>
        SendAsync<EngageIntervention>(HttpMethod.Delete, $"interventions/{Esc(interventionId)}/cancel", null, "DELETE /interventions/{id}/cancel", cancellationToken);

    /// <summary><c>POST /intervention_comments</c>: an internal note on an intervention (never shown to the customer).</summary>
    public Task<JsonElement> CreateInterventionCommentAsync(string interventionId, string body, CancellationToken cancellationToken) =>
        SendAsync<JsonElement>(HttpMethod.Post, "intervention_comments", new EngageParameters()
            .Add("intervention_id", interventionId)
            .Add("body", body), "POST /intervention_comments", cancellationToken);

    public Task<EngageIntervention> GetInterventionAsync(string interventionId, CancellationToken cancellationToken) =>
        SendAsync<EngageIntervention>(HttpMethod.Get, $"interventions/{Esc(interventionId)}", null, "GET /interventions/{id}", cancellationToken);

    /// <summary>Interventions of a thread owned by a user, filtered by status (<c>active</c>, <c>opened</c>...).</summary>
    public Task<EngageList<EngageIntervention>> GetInterventionsAsync(string threadId, string? userId, string? status, CancellationToken cancellationToken) =>
        SendListAsync<EngageIntervention>("interventions", new EngageParameters()
            .Add("thread_id", threadId)
            .Add("user_id", userId)
            .Add("status", status), "GET /interventions", cancellationToken);

    /// <summary><c>PUT /content_threads/{id}/update_categories</c>: replaces the thread's own categories with exactly these.</summary>
    public Task<EngageThread> UpdateThreadCategoriesAsync(string threadId, IReadOnlyList<string> threadCategoryIds, CancellationToken cancellationToken) =>
        SendAsync<EngageThread>(HttpMethod.Put, $"content_threads/{Esc(threadId)}/update_categories",
            new EngageParameters().AddArray("thread_category_ids", threadCategoryIds), "PUT /content_threads/{id}/update_categories", cancellationToken);

    /// <summary>
    /// <c>PUT /content_threads/{id}/close</c>: starts closing the thread (asynchronous: the answer may still say open).
    /// Only some source types support it; 403 when the thread cannot be closed or the user may not.
    /// </summary>
    public Task<EngageThread> CloseThreadAsync(string threadId, CancellationToken cancellationToken) =>
        SendAsync<EngageThread>(HttpMethod.Put, $"content_threads/{Esc(threadId)}/close", null, "PUT /content_threads/{id}/close", cancellationToken);

    /// <summary><c>GET /status</c>: connected agents, optionally filtered by categories and sources.</summary>
    public async Task<IReadOnlyList<EngageAgentStatus>> GetAgentStatusAsync(IEnumerable<string> categoryIds, IEnumerable<string> sourceIds, CancellationToken cancellationToken) =>
        (await SendListAsync<EngageAgentStatus>("status", new EngageParameters()
            .AddArray("category_ids", categoryIds)
            .AddArray("source_ids", sourceIds), "GET /status", cancellationToken).ConfigureAwait(false)).Records;

    private async Task<T> SendAsync<T>(HttpMethod method, string path, EngageParameters? parameters, string operation, CancellationToken cancellationToken)
    {
        var bytes = await SendRawAsync(method, path, parameters, operation, cancellationToken).ConfigureAwait(false);
        try
        {
            return JsonSerializer.Deserialize<T>(bytes, EngageJson.Options) ?? throw new JsonException("null body");
        }
        catch (JsonException ex)
        {
            throw new EngageApiException(System.Net.HttpStatusCode.BadGateway, "invalid_response", ex.Message, null, operation);
        }
    }

    private async Task<EngageList<T>> SendListAsync<T>(string path, EngageParameters parameters, string operation, CancellationToken cancellationToken)
    {
        var bytes = await SendRawAsync(HttpMethod.Get, path, parameters, operation, cancellationToken).ConfigureAwait(false);
        try
        {
            return EngageJson.ReadList<T>(bytes);
        }
        catch (JsonException ex)
        {
            throw new EngageApiException(System.Net.HttpStatusCode.BadGateway, "invalid_response", ex.Message, null, operation);
        }
    }

    private async Task<byte[]> SendRawAsync(HttpMethod method, string path, EngageParameters? parameters, string operation, CancellationToken cancellationToken)
    {
        var uri = new Uri(_base, method == HttpMethod.Get && parameters is { Pairs.Count: > 0 } ? path + "?" + parameters.ToQueryString() : path);
        using var request = new HttpRequestMessage(method, uri);
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _tenant.ApiToken);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        if (method != HttpMethod.Get && parameters is { Pairs.Count: > 0 }) request.Content = parameters.ToForm();
        request.Options.Set(EngageRequestTenant.Key, _requestTenant);
        request.Options.Set(PlatformResilience.TenantKey, _tenant.Id);

        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
            throw EngageApiException.From(response.StatusCode, body, response.Headers.RetryAfter?.Delta, operation);
        return body;
    }

    private static string Esc(string id) => Uri.EscapeDataString(id);
}
