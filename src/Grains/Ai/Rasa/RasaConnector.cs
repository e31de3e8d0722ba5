using System.Net.Http.Json;
using System.Text.Json;

namespace Conversations.Grains.Ai.Rasa;

/// <summary>
/// Rasa's REST channel: POST {endpoint}/webhooks/rest/webhook with sender = the conversation key and the
/// customer's newest text; the context goes as metadata. Bot messages come back as an array: text,
/// buttons (title/payload, become input_select), image (appended as a link), and custom payloads
/// where {"action":"handoff"} hands off. An empty array (Rasa swallows its own errors) is no answer.
/// </summary>
public sealed class RasaConnector(IHttpClientFactory httpClients, TimeProvider time) : IAiConnector
{
    public AiKind Kind => AiKind.Rasa;

    public async ValueTask<AiReply> RespondAsync(AiRequest request, CancellationToken cancellationToken)
    {
        var body = new
        {
            sender = request.Key.ToString(),
            message = request.LatestCustomerText(),
            metadata = new { conversation = request.Key.ConversationId, tenant = request.Key.Tenant, purpose = request.Purpose.ToString().ToLowerInvariant(), context = request.Context },
        };
        using var message = new HttpRequestMessage(HttpMethod.Post, AiHttp.Resolve(request.Tenant.Ai, "/webhooks/rest/webhook")) { Content = JsonContent.Create(body) };
        AiHttp.Authorize(message, request.Tenant.Ai);
        using var response = await httpClients.CreateClient(AiHttp.HttpClientName).SendAsync(message, cancellationToken);
        await AiHttp.EnsureSuccessAsync(response, time, "Rasa", cancellationToken);
        using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        if (document.RootElement.ValueKind != JsonValueKind.Array) throw new AiTransientException("Rasa answered with something other than a message array");
        return Parse(document.RootElement);
    }

    public static AiReply Parse(JsonElement array)
    {
        var messages = new List<AiMessage>();
        var handoff = false;
        string? reason = null;
        foreach (var item in array.EnumerateArray())
        {
            if (item.Property("custom") is { } custom && custom.String("action") is { } action)
            {
                if (string.Equals(action, "handoff", StringComparison.OrdinalIgnoreCase))
                {
                    handoff = true;
                    reason = custom.String("reason") ?? reason;
                }
            }
            var text = item.String("text") ?? "";
            if (item.String("image") is { Length: > 0 } image) text = text.Length > 0 ? $"{text}\n{image}" : image;
            var buttons = new List<AiButton>();
            if (item.Property("buttons") is { ValueKind: JsonValueKind.Array } list)
            {
                foreach (var button in list.EnumerateArray())
                {
                    var title = button.String("title");
                    if (string.IsNullOrEmpty(title)) continue;
                    buttons.Add(new AiButton(title, button.String("payload") ?? title));
                }
            }
            if (text.Length == 0 && buttons.Count == 0) continue;
            messages.Add(new AiMessage(text, buttons));
        }
        return new AiReply(messages, handoff, reason);
    }
}
