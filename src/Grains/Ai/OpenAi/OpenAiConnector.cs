using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conversations.Grains.Conversation;

namespace Conversations.Grains.Ai.OpenAi;

/// <summary>
/// Any OpenAI-compatible Chat Completions server (OpenAI, vLLM, llama.cpp, Ollama, LM Studio). The
/// transcript goes as messages after a system prompt with the known facts; a <c>handoff_to_human</c>
/// tool lets the model hand off, with an optional <c>topic</c> among the tenant's Handoff:Routes topics
/// (a JSON-schema enum) that picks the route. Servers that refuse tools (HTTP 400/422) get a tool-less request where
/// the model signals a handoff with the <see cref="HandoffMarker"/> line; the refusal is remembered per tenant.
/// </summary>
public sealed class OpenAiConnector(IHttpClientFactory httpClients, TimeProvider time) : IAiConnector
{
    public const string HandoffTool = "handoff_to_human";
    public const string HandoffMarker = "[HANDOFF]";
    public const string DefaultModel = "gpt-4o-mini";
    public const string DefaultSystemPrompt = "You are a helpful, concise customer-support assistant. Answer in the customer's language. Never invent order details or policies you were not given.";

    /// <summary>The <c>tools</c> array offering <see cref="HandoffTool"/> with these topics (none: no <c>topic</c> argument).</summary>
    private static byte[] HandoffTools(IReadOnlyList<string> topics)
    {
        var properties = new JsonObject { ["reason"] = new JsonObject { ["type"] = "string", ["description"] = "Why a human is needed, in one sentence." } };
        if (topics.Count > 0)
            properties["topic"] = new JsonObject
            {
                ["type"] = "string",
                ["enum"] = new JsonArray([.. topics.Select(t => (JsonNode)t)]),
                ["description"] = "What the conversation is about, so that the right team takes it.",
            };
        return JsonSerializer.SerializeToUtf8Bytes(new JsonArray(new JsonObject
        {
            ["type"] = "function",
            ["function"] = new JsonObject
            {
                ["name"] = HandoffTool,
                ["description"] = "Hand the conversation to a human support agent when you cannot help, the customer asks for a person, or the request needs a human decision.",
                ["parameters"] = new JsonObject { ["type"] = "object", ["properties"] = properties },
            },
        }));
    }

    private readonly ConcurrentDictionary<string, bool> _noTools = new(StringComparer.Ordinal);

    /// <summary>The serialized tools per topic list (one per tenant configuration): built once, not per call.</summary>
    private readonly ConcurrentDictionary<string, byte[]> _tools = new(StringComparer.Ordinal);

    public AiKind Kind => AiKind.OpenAi;

    public async ValueTask<AiReply> RespondAsync(AiRequest request, CancellationToken cancellationToken)
    {
        var toolsKey = $"{request.Tenant.Id}|{request.Tenant.Ai.Endpoint}";
        var useTools = request.Purpose == AiPurpose.Reply && !_noTools.ContainsKey(toolsKey);
        using var response = await PostAsync(request, useTools, cancellationToken);
        if (useTools && response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity)
        {
            // vLLM without --enable-auto-tool-choice and older servers reject tools: fall back to the text marker.
            _noTools[toolsKey] = true;
            using var fallback = await PostAsync(request, tools: false, cancellationToken);
            return await ParseAsync(fallback, cancellationToken);
        }
        return await ParseAsync(response, cancellationToken);
    }

    private async Task<HttpResponseMessage> PostAsync(AiRequest request, bool tools, CancellationToken cancellationToken)
    {
        var topics = request.Tenant.Handoff.Topics();
        var toolsJson = tools ? _tools.GetOrAdd(string.Join('\n', topics), _ => HandoffTools(topics)) : null;
        var message = new HttpRequestMessage(HttpMethod.Post, CompletionsUri(request.Tenant.Ai)) { Content = RequestBody(request, toolsJson) };
        AiHttp.Authorize(message, request.Tenant.Ai);
        using (message) return await httpClients.CreateClient(AiHttp.HttpClientName).SendAsync(message, cancellationToken);
    }

    /// <summary>The Chat Completions request, written straight to UTF-8 (no JSON tree per call; the transcript can be long).</summary>
    private static ReadOnlyMemoryContent RequestBody(AiRequest request, byte[]? tools)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("model", request.Tenant.Ai.Model ?? DefaultModel);
            json.WriteStartArray("messages");
            WriteMessage(json, "system", SystemPrompt(request, tools is not null));
            foreach (var entry in request.Transcript)
            {
                if (entry.Role == TranscriptRole.Customer) WriteMessage(json, "user", entry.Text);
                else if (entry.Role == TranscriptRole.Bot) WriteMessage(json, "assistant", entry.Text);
                else WriteMessage(json, "assistant", $"(human agent {entry.Author}) {entry.Text}");
            }
            json.WriteEndArray();
            if (tools is not null)
            {
                json.WritePropertyName("tools");
                json.WriteRawValue(tools, skipInputValidation: true);
            }
            json.WriteEndObject();
        }
        var content = new ReadOnlyMemoryContent(buffer.WrittenMemory);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        return content;

        static void WriteMessage(Utf8JsonWriter json, string role, string content)
        {
            json.WriteStartObject();
            json.WriteString("role", role);
            json.WriteString("content", content);
            json.WriteEndObject();
        }
    }

    /// <summary>Ai:Endpoint may be the server ("http://host:8000"), its API base (".../v1") or the full completions URL.</summary>
    public static Uri CompletionsUri(AiOptions ai)
    {
        var endpoint = new Uri(ai.Endpoint ?? throw new AiRejectedException("Ai:Endpoint is not set"));
        return endpoint.AbsolutePath.TrimEnd('/').Length == 0
            ? new Uri(endpoint, "/v1/chat/completions")
            : AiHttp.Resolve(ai, "/chat/completions");
    }

    private static string SystemPrompt(AiRequest request, bool tools)
    {
        var system = request.Tenant.Ai.SystemPrompt ?? DefaultSystemPrompt;
        if (request.Purpose == AiPurpose.Assist)
            system += "\nYou are assisting a human support agent who owns this conversation. Write the reply you suggest the agent sends to the customer; it is shown to the agent only.";
        else if (!tools)
            system += $"\nIf the customer needs a human agent, answer with a line that starts with {HandoffMarker} followed by the reason.";
        var context = AiHttp.ContextText(request.Context);
        if (context.Length > 0) system += "\n\n" + context;
        return system;
    }

    private async ValueTask<AiReply> ParseAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        await AiHttp.EnsureSuccessAsync(response, time, "OpenAI-compatible server", cancellationToken);
        using var document = await JsonDocument.ParseAsync(await response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken: cancellationToken);
        if (document.RootElement.Property("choices") is not { ValueKind: JsonValueKind.Array } choices || choices.GetArrayLength() == 0)
            throw new AiTransientException("OpenAI-compatible server answered without choices");
        var message = choices[0].Property("message") ?? throw new AiTransientException("OpenAI-compatible server answered without a message");

        var handoff = false;
        string? reason = null;
        string? topic = null;
        if (message.Property("tool_calls") is { ValueKind: JsonValueKind.Array } calls)
        {
            foreach (var call in calls.EnumerateArray())
            {
                if (call.Property("function") is not { } function || function.String("name") != HandoffTool) continue;
                handoff = true;
                (reason, topic) = ReadArguments(function.String("arguments"));
            }
        }

        var content = message.String("content") ?? "";
        var lines = content.Split('\n');
        var marker = Array.FindIndex(lines, l => l.TrimStart().StartsWith(HandoffMarker, StringComparison.OrdinalIgnoreCase));
        if (marker >= 0)
        {
            handoff = true;
            reason ??= lines[marker].TrimStart()[HandoffMarker.Length..].Trim() is { Length: > 0 } r ? r : null;
            content = string.Join('\n', lines.Where((_, i) => i != marker)).Trim();
        }
        var messages = string.IsNullOrWhiteSpace(content) ? [] : new List<AiMessage> { new(content.Trim()) };
        return new AiReply(messages, handoff, reason, topic);
    }

    /// <summary>Tool arguments are text the model wrote: read a reason and a topic if they are there, never fail on them.</summary>
    private static (string? Reason, string? Topic) ReadArguments(string? arguments)
    {
        if (string.IsNullOrWhiteSpace(arguments)) return (null, null);
        try
        {
            using var args = JsonDocument.Parse(arguments);
            return (args.RootElement.String("reason"), args.RootElement.String("topic") is { } t && !string.IsNullOrWhiteSpace(t) ? t.Trim() : null);
        }
        catch (JsonException) { return (null, null); }
    }
}
