using System.Net.Http.Headers;
using System.Text.Json;
using Conversations.TestSupport.Http;
using P = Conversations.EndToEnd.Chatwoot.ChatwootPayloads;

namespace Conversations.EndToEnd.Chatwoot;

/// <summary>Chatwoot API failures: 429 and 5xx are retried through the outbox with backoff; other 4xx are parked and visible.</summary>
public sealed class ChatwootPlatformErrorTests
{
    private static readonly Dictionary<string, string> WithAdmin = new() { ["Conversations:Admin:Token"] = "admin-secret" };

    [Fact]
    public async Task A_500_from_chatwoot_is_retried_until_the_reply_is_delivered()
    {
        await using var world = await ChatwootWorld.StartAsync(WithAdmin);
        world.Chatwoot.Enqueue(ChatwootWorld.Api("messages"), LoopbackResponse.Json("{\"error\":\"boom\"}", 500));
        await world.PostOkAsync(P.Incoming("hi"));
        var attempts = await world.WaitChatwootAsync("messages", 2);
        Assert.Equal(attempts[0].Body, attempts[1].Body);
        await Task.Delay(300);
        Assert.Equal(2, world.ChatwootCalls("messages").Count);
    }

    [Fact]
    public async Task A_429_from_chatwoot_waits_for_retry_after_then_delivers()
    {
        await using var world = await ChatwootWorld.StartAsync(WithAdmin);
        world.Chatwoot.Enqueue(ChatwootWorld.Api("messages"), LoopbackResponse.Status(429).WithHeader("Retry-After", "1"));
        await world.PostOkAsync(P.Incoming("hi"));
        var attempts = await world.WaitChatwootAsync("messages", 2, timeout: TimeSpan.FromSeconds(10));
        Assert.True(attempts[1].ReceivedAt - attempts[0].ReceivedAt >= TimeSpan.FromMilliseconds(900));
    }

    [Fact]
    public async Task A_401_from_chatwoot_is_parked_without_retries_and_visible_to_the_admin()
    {
        await using var world = await ChatwootWorld.StartAsync(WithAdmin);
        world.Chatwoot.On(ChatwootWorld.Api("messages"), _ => LoopbackResponse.Json("{\"error\":\"Bot is not authorized to access this account\"}", 401));
        await world.PostOkAsync(P.Incoming("hi"));
        await world.WaitChatwootAsync("messages");

        JsonElement parked;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/outbox/parked");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "admin-secret");
            using var response = await world.Http.SendAsync(request);
            parked = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
            if (parked.GetArrayLength() > 0) break;
            if (DateTime.UtcNow > deadline) Assert.Fail("Timed out after 20 s waiting for the reply to be parked");
            await Task.Delay(100);
        }
        var entry = Assert.Single(parked.EnumerateArray());
        Assert.Equal("7:87", entry.GetProperty("conversationId").GetString());
        Assert.Equal("chatwoot.reply", entry.GetProperty("kind").GetString());
        Assert.Contains("401", entry.GetProperty("lastError").GetString());
        Assert.Single(world.ChatwootCalls("messages"));

        using var conversation = new HttpRequestMessage(HttpMethod.Get, "/admin/conversations/acme/7:87");
        conversation.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "admin-secret");
        using var view = await world.Http.SendAsync(conversation);
        var text = await view.Content.ReadAsStringAsync();
        Assert.Contains("Parked", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("chatwoot.reply", text);
    }

    [Fact]
    public async Task A_failed_handoff_status_change_is_retried_after_the_note()
    {
        await using var world = await ChatwootWorld.StartAsync(WithAdmin);
        world.Chatwoot.Enqueue(ChatwootWorld.Api("toggle_status"), LoopbackResponse.Status(503));
        await world.PostOkAsync(P.Incoming("agent please"));
        var toggles = await world.WaitChatwootAsync("toggle_status", 2);
        Assert.All(toggles, t => Assert.Equal("open", t.Json().GetProperty("status").GetString()));
        Assert.Single(world.ChatwootCalls("messages"));
    }
}
