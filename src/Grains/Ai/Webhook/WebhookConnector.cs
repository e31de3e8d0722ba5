using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Conversations.Grains.Ai.Webhook;

/// <summary>
/// A custom bot behind a small JSON contract (documented in README.md next to this file): POST the
/// conversation, the transcript and the event; get back messages (text, buttons, cards) and a handoff flag.
/// </summary>
public sealed class WebhookConnector(IHttpClientFactory httpClients, TimeProvider time) : IAiConnector
{
    public const int ContractVersion = 1;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public AiKind Kind => AiKind.Webhook;

    public async ValueTask<AiReply> RespondAsync(AiRequest request, CancellationToken cancellationToken)
    {
        var body = new WebhookBotRequest(
            ContractVersion,
            request.Purpose == AiPurpose.Reply ? "reply" : "assist",
            new WebhookBotConversation(request.Key.Tenant, request.Key.ConversationId, request.Tenant.Platform.ToString(), request.Context),
            [.. request.Transcript.Select(t => new WebhookBotTranscriptEntry(AiHttp.RoleName(t.Role), t.Text, t.At, t.Author))],
            new WebhookBotEvent(request.EventType ?? "message", request.LatestCustomerText()));
        using var message = new HttpRequestMessage(HttpMethod.Post, AiHttp.Resolve(request.Tenant.Ai, "")) { Content = JsonContent.Create(body, options: Json) };
        AiHttp.Authorize(message, request.Tenant.Ai);
        using var response = await httpClients.CreateClient(AiHttp.HttpClientName).SendAsync(message, cancellationToken);
        await AiHttp.EnsureSuccessAsync(response, time, "Webhook bot", cancellationToken);
        var reply = await response.Content.ReadFromJsonAsync<WebhookBotResponse>(Json, cancellationToken)
            ?? throw new AiTransientException("Webhook bot answered JSON null");
        var messages = (reply.Messages ?? [])
            .Where(m => !string.IsNullOrWhiteSpace(m.Text) || m.Buttons is { Count: > 0 } || m.Cards is { Count: > 0 })
            .Select(m => new AiMessage(
                m.Text ?? "",
                [.. (m.Buttons ?? []).Where(b => !string.IsNullOrEmpty(b.Title)).Select(b => new AiButton(b.Title!, b.Value ?? b.Title!))],
                [.. (m.Cards ?? []).Where(c => !string.IsNullOrEmpty(c.Title)).Select(c => new AiCard(c.Title!, c.Description, c.MediaUrl,
                    [.. (c.Actions ?? []).Where(a => !string.IsNullOrEmpty(a.Text)).Select(a => new AiCardAction(a.Text!, a.Type ?? "link", a.Payload, a.Uri))]))]))
            .ToList();
        return new AiReply(messages, reply.Handoff, reply.HandoffReason, string.IsNullOrWhiteSpace(reply.HandoffTopic) ? null : reply.HandoffTopic.Trim());
    }
}

public sealed record WebhookBotRequest(int Version, string Purpose, WebhookBotConversation Conversation, IReadOnlyList<WebhookBotTranscriptEntry> Transcript, WebhookBotEvent Event);
public sealed record WebhookBotConversation(string Tenant, string Id, string Platform, IReadOnlyDictionary<string, string> Context);
public sealed record WebhookBotTranscriptEntry(string Role, string Text, DateTimeOffset At, string? Author);
public sealed record WebhookBotEvent(string Type, string Text);

public sealed record WebhookBotResponse(List<WebhookBotMessage>? Messages, bool Handoff = false, string? HandoffReason = null, string? HandoffTopic = null);
public sealed record WebhookBotMessage(string? Text, List<WebhookBotButton>? Buttons = null, List<WebhookBotCard>? Cards = null);
public sealed record WebhookBotButton(string? Title, string? Value);
public sealed record WebhookBotCard(string? Title, string? Description = null, string? MediaUrl = null, List<WebhookBotCardAction>? Actions = null);
public sealed record WebhookBotCardAction(string? Text, string? Type = null, string? Payload = null, string? Uri = null);
