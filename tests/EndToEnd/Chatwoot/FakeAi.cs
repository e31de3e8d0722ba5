using System.Text.Json;
using System.Text.Json.Nodes;
using Conversations.TestSupport.Http;

namespace Conversations.EndToEnd.Chatwoot;

/// <summary>Answers in the wire formats of the AI engines, for the loopback fakes.</summary>
public static class FakeAi
{
    public const string ChatCompletions = "/v1/chat/completions";
    public const string RasaWebhook = "/webhooks/rest/webhook";

    public static LoopbackResponse OpenAiText(string content) => LoopbackResponse.Json(new JsonObject
    {
        ["id"] = "chatcmpl-1",
        ["object"] = "chat.completion",
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = new JsonObject { ["role"] = "assistant", ["content"] = content },
            ["finish_reason"] = "stop",
        }),
    }.ToJsonString());

    public static LoopbackResponse OpenAiHandoff(string reason, string? content = null) => LoopbackResponse.Json(new JsonObject
    {
        ["choices"] = new JsonArray(new JsonObject
        {
            ["index"] = 0,
            ["message"] = new JsonObject
            {
                ["role"] = "assistant",
                ["content"] = content,
                ["tool_calls"] = new JsonArray(new JsonObject
                {
                    ["id"] = "call_1",
                    ["type"] = "function",
                    ["function"] = new JsonObject { ["name"] = "handoff_to_human", ["arguments"] = JsonSerializer.Serialize(new { reason }) },
                }),
            },
            ["finish_reason"] = "tool_calls",
        }),
    }.ToJsonString());

    /// <summary>The user messages of a chat completions request, joined.</summary>
    public static string UserText(RecordedRequest request) =>
        string.Join("\n", request.Json().GetProperty("messages").EnumerateArray()
            .Where(m => m.GetProperty("role").GetString() == "user").Select(m => m.GetProperty("content").GetString()));

    public static string SystemText(RecordedRequest request) =>
        request.Json().GetProperty("messages")[0].GetProperty("content").GetString() ?? "";

    /// <summary>An OpenAI-compatible server that echoes the customer's last message.</summary>
    public static void EchoOpenAi(LoopbackServer ai, TimeSpan? delay = null) =>
        ai.On("POST", ChatCompletions, r =>
        {
            var last = r.Json().GetProperty("messages").EnumerateArray().Last(m => m.GetProperty("role").GetString() == "user").GetProperty("content").GetString();
            return OpenAiText("echo: " + last).After(delay ?? TimeSpan.Zero);
        });
}
