using Conversations.TestSupport.Processes;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Conversations.Silo.Tests.Support;
using Conversations.TestSupport.Http;

namespace Conversations.Silo.Tests;

/// <summary>The executable's graceful stop on the real path: Chatwoot handler, grain, Rules AI, outbox, fake Chatwoot on loopback.</summary>
public sealed class SiloProcessDrainTests
{
    [Fact]
    public async Task A_message_accepted_just_before_SIGTERM_is_answered_before_the_process_exits_0()
    {
        await using var chatwoot = await LoopbackServer.StartAsync();
        // A slow platform: the reply is still being sent when the stop begins.
        chatwoot.On("POST", "/api/v1/accounts/", _ => LoopbackResponse.Json("{\"id\":1}").After(TimeSpan.FromMilliseconds(700)));
        using var silo = ServiceProcess.StartSilo(
            "--Conversations:Tenants:0:Id=acme",
            "--Conversations:Tenants:0:Platform=Chatwoot",
            $"--Conversations:Tenants:0:BaseUrl={chatwoot.BaseAddress.ToString().TrimEnd('/')}",
            "--Conversations:Tenants:0:ApiToken=bot-token",
            "--Conversations:Tenants:0:UrlToken=url-token",
            "--Conversations:Tenants:0:BotIdentity=3",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Conversations=Information");
        await silo.WaitHealthyAsync(TimeSpan.FromSeconds(60));

        using (var http = new HttpClient { BaseAddress = silo.Address })
        using (var webhook = await http.PostAsync("/webhooks/chatwoot/acme?token=url-token", new StringContent(IncomingMessage("hi there").ToJsonString(), Encoding.UTF8, "application/json")))
            Assert.True(webhook.StatusCode == HttpStatusCode.OK, $"webhook answered {(int)webhook.StatusCode}:\n{silo.Output}");
        await silo.TerminateAsync();
        var exit = await silo.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(exit == 0, $"The silo exited with {exit?.ToString() ?? "nothing (still running)"}:\n{silo.Output}");
        var replies = chatwoot.Requests.Where(r => r.Method == "POST" && r.Path == "/api/v1/accounts/7/conversations/87/messages").ToList();
        Assert.True(replies.Count == 1, $"The fake Chatwoot got {replies.Count} replies:\n{silo.Output}");
        var reply = replies[0];
        Assert.False(string.IsNullOrWhiteSpace(reply.Json().GetProperty("content").GetString()));
        Assert.Equal("bot-token", reply.Header("api_access_token"));
    }

    /// <summary>A Chatwoot agent-bot <c>message_created</c> for an incoming customer message in a pending conversation.</summary>
    private static JsonObject IncomingMessage(string text)
    {
        var now = DateTimeOffset.UtcNow;
        JsonObject Contact() => new() { ["id"] = 4321, ["name"] = "Maria Lopez", ["email"] = "maria@example.org", ["type"] = "contact" };
        return new JsonObject
        {
            ["event"] = "message_created",
            ["id"] = 555001,
            ["content"] = text,
            ["content_type"] = "text",
            ["content_attributes"] = new JsonObject(),
            ["message_type"] = "incoming",
            ["private"] = false,
            ["created_at"] = now.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", System.Globalization.CultureInfo.InvariantCulture),
            ["sender"] = Contact(),
            ["account"] = new JsonObject { ["id"] = 7, ["name"] = "Acme Support" },
            ["inbox"] = new JsonObject { ["id"] = 12, ["name"] = "Website Chat" },
            ["conversation"] = new JsonObject
            {
                ["id"] = 87,
                ["inbox_id"] = 12,
                ["status"] = "pending",
                ["channel"] = "Channel::WebWidget",
                ["messages"] = new JsonArray(),
                ["meta"] = new JsonObject { ["sender"] = Contact() },
                ["timestamp"] = now.ToUnixTimeSeconds(),
                ["created_at"] = now.ToUnixTimeSeconds(),
            },
        };
    }
}
