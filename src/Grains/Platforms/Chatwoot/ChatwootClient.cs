using System.Net.Http.Json;
using System.Text.Json;
using Conversations.Grains.Http;

namespace Conversations.Grains.Platforms.Chatwoot;

/// <summary>
/// Chatwoot's application API for a bot (api_access_token header): messages, toggle_status,
/// toggle_typing_status, assignments, labels. Returns the raw response; callers map the status.
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

    public Task<HttpResponseMessage> ToggleStatusAsync(TenantOptions tenant, string accountId, string conversationId, string status, CancellationToken cancellationToken) =>
        PostAsync(tenant, accountId, conversationId, "toggle_status", new { status }, cancellationToken);

    public Task<HttpResponseMessage> ToggleTypingAsync(TenantOptions tenant, string accountId, string conversationId, bool on, CancellationToken cancellationToken) =>
        PostAsync(tenant, accountId, conversationId, "toggle_typing_status", new { typing_status = on ? "on" : "off" }, cancellationToken);

    public Task<HttpResponseMessage> AssignAsync(TenantOptions tenant, string accountId, string conversationId, string? assigneeId, string? teamId, CancellationToken cancellationToken) =>
        PostAsync(tenant, accountId, conversationId, "assignments", new { assignee_id = assigneeId, team_id = teamId }, cancellationToken);

    public Task<HttpResponseMessage> SetLabelsAsync(TenantOptions tenant, string accountId, string conversationId, IReadOnlyList<string> labels, CancellationToken cancellationToken) =>
        PostAsync(tenant, accountId, conversationId, "labels", new { labels }, cancellationToken);

    private Task<HttpResponseMessage> PostAsync<T>(TenantOptions tenant, string accountId, string conversationId, string action, T body, CancellationToken cancellationToken)
    {
        var baseUrl = (tenant.BaseUrl ?? throw new InvalidOperationException($"Tenant '{tenant.Id}' has no BaseUrl.")).TrimEnd('/');
        var uri = new Uri($"{baseUrl}/api/v1/accounts/{Uri.EscapeDataString(accountId)}/conversations/{Uri.EscapeDataString(conversationId)}/{action}");
        var request = new HttpRequestMessage(HttpMethod.Post, uri) { Content = JsonContent.Create(body, options: Snake) };
        request.Headers.TryAddWithoutValidation(TokenHeader, tenant.ApiToken ?? "");
        request.Options.Set(PlatformResilience.TenantKey, tenant.Id);
        return SendAsync(request, cancellationToken);
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request) return await httpClients.CreateClient(HttpClientName).SendAsync(request, HttpCompletionOption.ResponseContentRead, cancellationToken);
    }
}
