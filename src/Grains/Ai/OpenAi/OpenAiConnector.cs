using System.ClientModel;
using System.ClientModel.Primitives;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using Conversations.Grains.Conversation;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;
using ChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Conversations.Grains.Ai.OpenAi;

/// <summary>
/// <c>Ai:Kind=OpenAi</c>: the conversation asked of an <see cref="IChatClient"/> (Microsoft.Extensions.AI). The transcript
/// goes as messages after a system prompt with the known facts; a <c>handoff_to_human</c> tool lets the model hand off.
/// <para>
/// The chat client is the host's when it registers one: an <see cref="IChatClient"/> keyed by the tenant id first, else an
/// unkeyed <see cref="IChatClient"/>. Otherwise it is the OpenAI SDK's client (Microsoft.Extensions.AI.OpenAI) for any
/// OpenAI-compatible Chat Completions server (OpenAI, vLLM, llama.cpp, Ollama, LM Studio) at <c>Ai:Endpoint</c>, sending
/// through the named <see cref="AiHttp.HttpClientName"/> client (its connection caps), with no retries or timeout of its
/// own: the tenant's pipeline (<see cref="AiPipelines"/>) does those.
/// </para>
/// The tool has an optional <c>topic</c> among the tenant's Handoff:Routes topics that picks the route.
/// Servers that refuse tools (HTTP 400/422) get a tool-less request where the model signals a handoff with the
/// <see cref="HandoffMarker"/> line; the refusal is remembered per tenant and endpoint.
/// </summary>
public sealed class OpenAiConnector(IHttpClientFactory httpClients, TimeProvider time, IServiceProvider services) : IAiConnector
{
    public const string HandoffTool = "handoff_to_human";
    public const string HandoffMarker = "[HANDOFF]";
    public const string DefaultModel = "gpt-4o-mini";
    public const string DefaultSystemPrompt = "You are a helpful, concise customer-support assistant. Answer in the customer's language. Never invent order details or policies you were not given.";
    private const string Engine = "OpenAI-compatible server";

    /// <summary>
    /// The <see cref="HandoffTool"/> declaration (the model calls it; nothing here invokes it) with an optional
    /// <c>topic</c> among the tenant's Handoff:Routes topics (a JSON-schema enum) that picks the route; without
    /// topics it has no <c>topic</c> argument. Built once per tenant.
    /// </summary>
    public static AIFunctionDeclaration HandoffDeclaration(IReadOnlyList<string> topics)
    {
        var properties = new JsonObject { ["reason"] = new JsonObject { ["type"] = "string", ["description"] = "Why a human is needed, in one sentence." } };
        if (topics.Count > 0)
            properties["topic"] = new JsonObject
            {
                ["type"] = "string",
                ["enum"] = new JsonArray([.. topics.Select(t => (JsonNode)t)]),
                ["description"] = "What the conversation is about, so that the right team takes it.",
            };
        return AIFunctionFactory.CreateDeclaration(
            HandoffTool,
            "Hand the conversation to a human support agent when you cannot help, the customer asks for a person, or the request needs a human decision.",
            JsonSerializer.SerializeToElement(new JsonObject { ["type"] = "object", ["properties"] = properties }));
    }

    /// <summary>
    /// The OpenAI SDK's message for each transcript entry, made once per entry (instance) and dropped with it: every turn
    /// sends the conversation's whole window again, and rebuilding it cost about a dozen message graphs per answer that
    /// also lived through the AI's latency. Entries are immutable; a capped copy is another instance.
    /// </summary>
    private static readonly ConditionalWeakTable<TranscriptEntry, ChatMessage> s_wireMessages = new();
    private static readonly ConditionalWeakTable<TranscriptEntry, ChatMessage>.CreateValueCallback s_toWire = entry => Message(Role(entry), Text(entry), plugged: false);

    private readonly ConcurrentDictionary<(string Tenant, string? Endpoint), Target> _targets = new();
    private HttpClient? _http;

    public AiKind Kind => AiKind.OpenAi;

    public async ValueTask<AiReply> RespondAsync(AiRequest request, CancellationToken cancellationToken)
    {
        var target = TargetFor(request.Tenant);
        var useTools = request.Purpose == AiPurpose.Reply && !target.NoTools;
        ChatResponse response;
        try
        {
            try
            {
                response = await target.Client.GetResponseAsync(Messages(request, useTools, target.Plugged), Options(target, request.Tenant.Ai, useTools), cancellationToken);
            }
            catch (ClientResultException refused) when (useTools && refused.Status is 400 or 422)
            {
                // vLLM without --enable-auto-tool-choice and older servers reject tools: fall back to the text marker.
                target.NoTools = true;
                response = await target.Client.GetResponseAsync(Messages(request, tools: false, target.Plugged), Options(target, request.Tenant.Ai, tools: false), cancellationToken);
            }
        }
        catch (ClientResultException failure) { throw ChatClientFailures.Map(failure, time, Engine); }
        // The OpenAI SDK reads choices[0].message without looking: an answer without them fails in there.
        catch (ArgumentOutOfRangeException empty) when (!target.Plugged) { throw new AiTransientException($"{Engine} answered without choices", inner: empty); }
        catch (NullReferenceException empty) when (!target.Plugged) { throw new AiTransientException($"{Engine} answered without a message", inner: empty); }
        return Parse(response);
    }

    /// <summary>Ai:Endpoint may be the server ("http://host:8000"), its API base (".../v1") or the full completions URL.</summary>
    public static Uri CompletionsUri(AiOptions ai)
    {
        var endpoint = new Uri(ai.Endpoint ?? throw new AiRejectedException("Ai:Endpoint is not set"));
        return endpoint.AbsolutePath.TrimEnd('/').Length == 0
            ? new Uri(endpoint, "/v1/chat/completions")
            : AiHttp.Resolve(ai, "/chat/completions");
    }

    /// <summary>The base the OpenAI SDK appends <c>/chat/completions</c> to.</summary>
    public static Uri ApiBase(AiOptions ai)
    {
        var completions = CompletionsUri(ai).ToString();
        return new Uri(completions[..^"/chat/completions".Length]);
    }

    private Target TargetFor(TenantOptions tenant)
    {
        var ai = tenant.Ai;
        if (_targets.TryGetValue((tenant.Id, ai.Endpoint), out var target) && target.Matches(ai)) return target;
        var host = HostClient(tenant.Id);
        var built = new Target(host ?? BuildClient(ai), host is not null, ai.ApiKey, ai.Model, HandoffDeclaration(tenant.Handoff.Topics())) { NoTools = target?.NoTools ?? false };
        _targets[(tenant.Id, ai.Endpoint)] = built;
        return built;
    }

    /// <summary>The host's chat client: keyed by the tenant id, else the unkeyed one, else none.</summary>
    private IChatClient? HostClient(string tenantId) =>
        (services as IKeyedServiceProvider)?.GetKeyedService<IChatClient>(tenantId) ?? services.GetService<IChatClient>();

    private IChatClient BuildClient(AiOptions ai)
    {
        var options = new OpenAIClientOptions
        {
            Endpoint = ApiBase(ai),
            Transport = new HttpClientPipelineTransport(_http ??= httpClients.CreateClient(AiHttp.HttpClientName)),
            // The tenant's pipeline retries (honouring Retry-After), breaks and times out each attempt (Ai:Timeout).
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = Timeout.InfiniteTimeSpan,
            // The turn's AI span (engine, model, latency) and HttpClient's span already trace the call; the SDK's own
            // span per request would be a third, and costs allocations on every answer.
            EnableDistributedTracing = false,
            // Like the named client's removed logging handlers: nothing logged per request on the hot path.
            ClientLoggingOptions = new ClientLoggingOptions { EnableLogging = false, EnableMessageLogging = false },
        };
        options.AddPolicy(ExactSizeRequestBody.Instance, PipelinePosition.PerCall);
        // The SDK insists on a key; local servers (vLLM, llama.cpp, Ollama) run without one and get no Authorization header.
        if (string.IsNullOrEmpty(ai.ApiKey)) options.AddPolicy(NoAuthorization.Instance, PipelinePosition.BeforeTransport);
        return new ChatClient(ai.Model ?? DefaultModel, new ApiKeyCredential(string.IsNullOrEmpty(ai.ApiKey) ? "none" : ai.ApiKey), options).AsIChatClient();
    }

    private static List<ChatMessage> Messages(AiRequest request, bool tools, bool plugged)
    {
        var messages = new List<ChatMessage>(request.Transcript.Count + 1) { Message(ChatRole.System, SystemPrompt(request, tools), plugged) };
        foreach (var entry in request.Transcript)
            // A host's client may keep or change the messages it is given: it gets its own.
            messages.Add(plugged ? Message(Role(entry), Text(entry), plugged: true) : s_wireMessages.GetValue(entry, s_toWire));
        return messages;
    }

    private static ChatRole Role(TranscriptEntry entry) => entry.Role == TranscriptRole.Customer ? ChatRole.User : ChatRole.Assistant;

    private static string Text(TranscriptEntry entry) => entry.Role is TranscriptRole.Customer or TranscriptRole.Bot ? entry.Text : $"(human agent {entry.Author}) {entry.Text}";

    /// <summary>
    /// A host's client gets the text as content; the OpenAI SDK's client gets the SDK's own message as the raw
    /// representation, which its adapter sends as is instead of converting the content on every call.
    /// </summary>
    private static ChatMessage Message(ChatRole role, string text, bool plugged)
    {
        if (plugged) return new ChatMessage(role, [new TextContent(text)]);
        OpenAI.Chat.ChatMessage wire = role == ChatRole.User ? new UserChatMessage(text)
            : role == ChatRole.System ? new SystemChatMessage(text)
            : new AssistantChatMessage(text);
        return new ChatMessage { Role = role, RawRepresentation = wire };
    }

    private static ChatOptions Options(Target target, AiOptions ai, bool tools) => new()
    {
        ModelId = ai.Model ?? DefaultModel,
        Tools = tools && target.Plugged ? [target.Handoff] : null,
        RawRepresentationFactory = tools && !target.Plugged ? target.WithHandoffTool : null,
    };

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

    private static AiReply Parse(ChatResponse response)
    {
        var handoff = false;
        string? reason = null;
        string? topic = null;
        foreach (var message in response.Messages)
        {
            foreach (var item in message.Contents)
            {
                if (item is not FunctionCallContent { Name: HandoffTool } call) continue;
                handoff = true;
                reason = Argument(call, "reason");
                topic = Argument(call, "topic") is { } t && !string.IsNullOrWhiteSpace(t) ? t.Trim() : null;
            }
        }

        var content = response.Text;
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

    /// <summary>Tool arguments are text the model wrote: read one if it is there, never fail on it.</summary>
    private static string? Argument(FunctionCallContent call, string name)
    {
        if (call.Exception is not null || call.Arguments is null || !call.Arguments.TryGetValue(name, out var value)) return null;
        return value switch
        {
            JsonElement { ValueKind: JsonValueKind.String } text => text.GetString(),
            JsonElement { ValueKind: JsonValueKind.Null or JsonValueKind.Undefined } => null,
            JsonElement other => other.ToString(),
            null => null,
            _ => value.ToString(),
        };
    }

    /// <summary>The chat client for one tenant and endpoint, its handoff tool, and whether that server refused tools.</summary>
    private sealed class Target
    {
        private readonly string? _apiKey;
        private readonly string? _model;

        public Target(IChatClient client, bool plugged, string? apiKey, string? model, AIFunctionDeclaration handoff)
        {
            Client = client;
            Plugged = plugged;
            _apiKey = apiKey;
            _model = model;
            Handoff = handoff;
            // The OpenAI SDK's form of the tool, built once: Microsoft.Extensions.AI would convert the declaration on every call.
            var tool = ChatTool.CreateFunctionTool(handoff.Name, handoff.Description, BinaryData.FromString(handoff.JsonSchema.GetRawText()));
            WithHandoffTool = _ => new ChatCompletionOptions { Tools = { tool } };
        }

        public IChatClient Client { get; }

        /// <summary>The host's client rather than the OpenAI SDK's.</summary>
        public bool Plugged { get; }

        public AIFunctionDeclaration Handoff { get; }

        public Func<IChatClient, object?> WithHandoffTool { get; }

        public volatile bool NoTools;

        public bool Matches(AiOptions ai) => string.Equals(_apiKey, ai.ApiKey, StringComparison.Ordinal) && string.Equals(_model, ai.Model, StringComparison.Ordinal);
    }

    /// <summary>Removes the placeholder key's Authorization header (Ai:ApiKey unset).</summary>
    private sealed class NoAuthorization : PipelinePolicy
    {
        public static readonly NoAuthorization Instance = new();

        public override void Process(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Remove("Authorization");
            ProcessNext(message, pipeline, currentIndex);
        }

        public override ValueTask ProcessAsync(PipelineMessage message, IReadOnlyList<PipelinePolicy> pipeline, int currentIndex)
        {
            message.Request.Headers.Remove("Authorization");
            return ProcessNextAsync(message, pipeline, currentIndex);
        }
    }
}
