using System.Net.Http.Json;
using System.Text.Json;
using Conversations.Grains.Http;

namespace Conversations.Grains.Platforms.Chatwoot;

/// <summary>
/// Chatwoot's application API for a bot (api_access_token header): messages, toggle_status,
/// toggle_typing_status, toggle_priority, assignments, labels. Returns the raw response; callers map the status.
/// </summary>
public sealed class ChatwootClient(IHttpClientFactory httpClients)
{
    public const string HttpClientName = "chatwoot";
    public const string TokenHeader = "api_access_token";

    private static readonly JsonSerializerOptions Snake = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull,
    };

    public Task<HttpResponseMessage> CreateMessageAsync(TenantOptions tenant, string accountId, string conversationId, ChatwootMessageBody body, CancellationToken cancellationToken) =>
        PostAsync(tenant, accountId, conversationId, "messages", body, cancellationToken);

    /// <summary><paramref name="snoozedUntil"/> (unix seconds) goes with status snoozed: Chatwoot reopens the conversation then.</summary>
    public Task<HttpResponseMessage> ToggleStatusAsync(TenantOptions tenant, string accountId, string conversationId, string status, CancellationToken cancellationToken, long? snoozedUntil = null) =>
        PostAsync(tenant, accountId, conversationId, "toggle_status", new { status, snoozed_until = snoozedUntil }, cancellationToken);

    /// <summary>low, medium, high or urgent (toggle_priority, open to bot tokens).</summary>
    public Task<HttpResponseMessage> TogglePriorityAsync(TenantOptions tenant, string accountId, string conversationId, string priority, CancellationToken cancellationToken) =>
        PostAsync(tenant, accountId, conversationId, "toggle_priority", new { priority }, cancellationToken);

    /// <summary>The same through <c>PATCH .../conversations/{id}</c>, whose only permitted field is the priority.</summary>
    public Task<HttpResponseMessage> PatchPriorityAsync(TenantOptions tenant, string accountId, string conversationId, string priority, CancellationToken cancellationToken)
    {
        var request = Request(tenant, HttpMethod.Patch, accountId, conversationId, null);
        request.Content = JsonContent.Create(new { priority }, options: Snake);
        return SendAsync(request, cancellationToken);
    }

    /// <summary>The conversation's labels: <c>{"payload":["a","b"]}</c>.</summary>
    public Task<HttpResponseMessage> GetLabelsAsync(TenantOptions tenant, string accountId, string conversationId, CancellationToken cancellationToken) =>
        SendAsync(Request(tenant, HttpMethod.Get, accountId, conversationId, "labels"), cancellationToken);

    public Task<HttpResponseMessage> ToggleTypingAsync(TenantOptions tenant, string accountId, string conversationId, bool on, CancellationToken cancellationToken) =>
        PostAsync(tenant, accountId, conversationId, "toggle_typing_status", new { typing_status = on ? "on" : "off" }, cancellationToken);

    public Task<HttpResponseMessage> AssignAsync(TenantOptions tenant, string accountId, string conversationId, string? assigneeId, string? teamId, CancellationToken cancellationToken) =>
        PostAsync(tenant, accountId, conversationId, "assignments", new { assignee_id = assigneeId, team_id = teamId }, cancellationToken);

    /// <summary>Replaces the conversation's labels (labels the account does not define are dropped by Chatwoot).</summary>
    public Task<HttpResponseMessage> SetLabelsAsync(TenantOptions tenant, string accountId, string conversationId, IReadOnlyList<string> labels, CancellationToken cancellationToken) =>
        PostAsync(tenant, accountId, conversationId, "labels", new { labels }, cancellationToken);

    private Task<HttpResponseMessage> PostAsync<T>(TenantOptions tenant, string accountId, string conversationId, string action, T body, CancellationToken cancellationToken)
    {
        var request = Request(tenant, HttpMethod.Post, accountId, conversationId, action);
        request.Content = JsonContent.Create(body, options: Snake);
        return SendAsync(request, cancellationToken);
    }

    private static HttpRequestMessage Request(TenantOptions tenant, HttpMethod method, string accountId, string conversationId, string? action)
    {
        var baseUrl = (tenant.BaseUrl ?? throw new InvalidOperationException($"Tenant '{tenant.Id}' has no BaseUrl.")).TrimEnd('/');
        var conversation = $"{baseUrl}/api/v1/accounts/{Uri.EscapeDataString(accountId)}/conversations/{Uri.EscapeDataString(conversationId)}";
        var uri = new Uri(action is null ? conversation : $"{conversation}/{action}");
        var request = new HttpRequestMessage(method, uri);
        request.Headers.TryAddWithoutValidation(TokenHeader, tenant.ApiToken ?? "");
        request.Options.Set(PlatformResilience.TenantKey, tenant.Id);
        return request;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request) return await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
    }
}
