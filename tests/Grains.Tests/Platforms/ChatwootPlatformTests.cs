using System.Text;
using System.Text.Json;
using Conversations.Grains.Ai;
using Conversations.Grains.Conversation;
using Conversations.Grains.Platforms.Chatwoot;
using Conversations.TestSupport.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Grains.Tests.Platforms;

public sealed class ChatwootPlatformTests : IAsyncLifetime
{
    private LoopbackServer _chatwoot = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _chatwoot = await LoopbackServer.StartAsync();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(new TenantCatalog([Tenant()]));
        services.AddConversationsGrains(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        _services = services.BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _chatwoot.DisposeAsync();
    }

    private TenantOptions Tenant() => new() { Id = "acme", Platform = PlatformKind.Chatwoot, UrlToken = "t", ApiToken = "tok", BaseUrl = _chatwoot?.BaseAddress.ToString() ?? "http://127.0.0.1:1" };

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("Hi {{contact.name}}", "Hi {\u200B{contact.name}}")]
    [InlineData("{% if x %}", "{\u200B% if x %}")]
    [InlineData("{{{x}}}", "{\u200B{\u200B{x}}}")]
    [InlineData("a { b } {c}", "a { b } {c}")]
    public void Liquid_markers_are_neutralised(string text, string expected) => Assert.Equal(expected, LiquidEscaper.Escape(text));

    [Fact]
    public void Handoff_is_a_private_note_then_toggle_status_open()
    {
        var platform = _services.GetServices<IPlatformConversation>().Single(p => p.Platform == PlatformKind.Chatwoot);
        var scope = new ConversationScope(new ConversationKey("acme", "7:87"), Tenant(), new ConversationState());
        var actions = platform.BuildHandoff(scope, new HandoffRequest("why {{x}}", "summary"));
        Assert.Equal([ChatwootActionKinds.Note, ChatwootActionKinds.ToggleStatus], actions.Select(a => a.Kind));
        var note = ChatwootAction.Deserialize(actions[0].Payload.Span);
        Assert.True(note.Message!.Private);
        Assert.Contains("why {\u200B{x}}", note.Message.Content);
        Assert.Equal("open", ChatwootAction.Deserialize(actions[1].Payload.Span).Status);
    }

    [Fact]
    public void An_inactivity_resolve_is_toggle_status_resolved()
    {
        var platform = _services.GetServices<IPlatformConversation>().Single(p => p.Platform == PlatformKind.Chatwoot);
        var scope = new ConversationScope(new ConversationKey("acme", "7:87"), Tenant(), new ConversationState());
        var action = Assert.Single(platform.BuildResolve(scope));
        Assert.Equal(ChatwootActionKinds.ToggleStatus, action.Kind);
        var payload = ChatwootAction.Deserialize(action.Payload.Span);
        Assert.Equal(("7", "87", "resolved"), (payload.AccountId, payload.ConversationId, payload.Status));
    }

    [Fact]
    public void Fold_maps_status_to_ownership_and_keeps_ids_and_context()
    {
        var platform = _services.GetServices<IPlatformConversation>().Single(p => p.Platform == PlatformKind.Chatwoot);
        var scope = new ConversationScope(new ConversationKey("acme", "7:87"), Tenant(), new ConversationState());
        Ownership Fold(string? status) => platform.Fold(scope, new ConversationEvent
        {
            Id = "e", Kind = EventKind.Other, Platform = PlatformKind.Chatwoot, Type = "t", PlatformStatus = status,
            Data = new() { ["account_id"] = "7", ["conversation_id"] = "87", ["message_id"] = "1" },
            Context = new() { ["contact.name"] = "Maria" },
        });
        Assert.Equal(Ownership.Bot, Fold("pending"));
        Assert.Equal(Ownership.Human, Fold("open"));
        Assert.Equal(Ownership.Human, Fold("snoozed"));
        Assert.Equal(Ownership.Ended, Fold("resolved"));
        Assert.Equal(Ownership.Unknown, Fold(null));
        Assert.Equal("7", scope.State.Platform["account_id"]);
        Assert.False(scope.State.Platform.ContainsKey("message_id"));
        Assert.Equal("Maria", scope.State.Context["contact.name"]);
    }

    [Theory]
    [InlineData(200, SendResult.Sent)]
    [InlineData(201, SendResult.Sent)]
    [InlineData(429, SendResult.RetryLater)]
    [InlineData(500, SendResult.RetryLater)]
    [InlineData(502, SendResult.RetryLater)]
    [InlineData(401, SendResult.Permanent)]
    [InlineData(404, SendResult.Permanent)]
    [InlineData(422, SendResult.Permanent)]
    public async Task The_sender_maps_http_results(int status, SendResult expected)
    {
        _chatwoot.On("POST", "/api/v1/accounts/7/conversations/87/messages", _ => LoopbackResponse.Json("{\"message\":\"x\"}", status).WithHeader("Retry-After", "7"));
        var sender = _services.GetRequiredService<IOutboxSender>();
        var action = new ChatwootAction { AccountId = "7", ConversationId = "87", Message = new ChatwootMessageBody("hello") };
        var outcome = await sender.SendAsync(new ConversationKey("acme", "7:87"), new OutboxMessage(42, ChatwootActionKinds.Reply, action.Serialize(), OutboxStatus.Pending, 0, DateTimeOffset.UtcNow, null), CancellationToken.None);
        Assert.Equal(expected, outcome.Kind);
        if (expected == SendResult.RetryLater) Assert.Equal(TimeSpan.FromSeconds(7), outcome.RetryAfter);
        var request = Assert.Single(_chatwoot.Requests);
        Assert.Equal("tok", request.Header("api_access_token"));
        Assert.Equal("conversations-42", request.Json().GetProperty("echo_id").GetString());
        Assert.Equal("text", request.Json().GetProperty("content_type").GetString());
    }

    [Fact]
    public async Task A_refused_connection_is_retry_later_and_unknown_tenants_are_permanent()
    {
        var sender = _services.GetRequiredService<IOutboxSender>();
        var action = new ChatwootAction { AccountId = "7", ConversationId = "87", Status = "open" };
        await _chatwoot.DisposeAsync();
        var outcome = await sender.SendAsync(new ConversationKey("acme", "7:87"), new OutboxMessage(1, ChatwootActionKinds.ToggleStatus, action.Serialize(), OutboxStatus.Pending, 0, DateTimeOffset.UtcNow, null), CancellationToken.None);
        Assert.Equal(SendResult.RetryLater, outcome.Kind);
        _chatwoot = await LoopbackServer.StartAsync();

        var unknown = await sender.SendAsync(new ConversationKey("nobody", "7:87"), new OutboxMessage(1, ChatwootActionKinds.ToggleStatus, action.Serialize(), OutboxStatus.Pending, 0, DateTimeOffset.UtcNow, null), CancellationToken.None);
        Assert.Equal(SendResult.Permanent, unknown.Kind);
        var garbage = await sender.SendAsync(new ConversationKey("acme", "7:87"), new OutboxMessage(1, ChatwootActionKinds.Reply, Encoding.UTF8.GetBytes("{oops"), OutboxStatus.Pending, 0, DateTimeOffset.UtcNow, null), CancellationToken.None);
        Assert.Equal(SendResult.Permanent, garbage.Kind);
    }

    [Fact]
    public void Replies_map_buttons_to_input_select_and_cards_to_cards()
    {
        var platform = _services.GetServices<IPlatformConversation>().Single(p => p.Platform == PlatformKind.Chatwoot);
        var scope = new ConversationScope(new ConversationKey("acme", "7:87"), Tenant(), new ConversationState());
        var actions = platform.BuildReply(scope, new AiReply([
            new AiMessage("pick", [new AiButton("A", "a")]),
            new AiMessage("see", Cards: [new AiCard("Mug", "12 oz", "https://x/m.png", [new AiCardAction("Buy", "link", Uri: "https://x/buy")])]),
            new AiMessage(""),
        ]));
        Assert.Equal(2, actions.Count);
        var select = ChatwootAction.Deserialize(actions[0].Payload.Span).Message!;
        Assert.Equal("input_select", select.ContentType);
        Assert.Equal("a", select.ContentAttributes!.Value.GetProperty("items")[0].GetProperty("value").GetString());
        var cards = ChatwootAction.Deserialize(actions[1].Payload.Span).Message!;
        Assert.Equal("cards", cards.ContentType);
        Assert.Equal("https://x/m.png", cards.ContentAttributes!.Value.GetProperty("items")[0].GetProperty("media_url").GetString());
        _ = JsonSerializer.Serialize(cards);
    }
}

public sealed class ChatwootClientActionTests : IAsyncLifetime
{
    private LoopbackServer _chatwoot = null!;
    private ServiceProvider _services = null!;

    public async Task InitializeAsync()
    {
        _chatwoot = await LoopbackServer.StartAsync();
        _chatwoot.On("POST", "/api/v1/accounts/", _ => LoopbackResponse.Json("{}"));
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton(new TenantCatalog([new TenantOptions { Id = "acme", Platform = PlatformKind.Chatwoot, UrlToken = "t", ApiToken = "tok", BaseUrl = _chatwoot.BaseAddress.ToString() }]));
        services.AddConversationsGrains(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build());
        _services = services.BuildServiceProvider();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _chatwoot.DisposeAsync();
    }

    [Fact]
    public async Task Assignments_and_labels_go_through_the_same_client()
    {
        var sender = _services.GetRequiredService<IOutboxSender>();
        var key = new ConversationKey("acme", "7:87");
        var assign = new ChatwootAction { AccountId = "7", ConversationId = "87", TeamId = "4" };
        var labels = new ChatwootAction { AccountId = "7", ConversationId = "87", Labels = ["bot-handoff", "vip"] };
        Assert.Equal(SendResult.Sent, (await sender.SendAsync(key, new OutboxMessage(1, ChatwootActionKinds.Assign, assign.Serialize(), OutboxStatus.Pending, 0, DateTimeOffset.UtcNow, null), CancellationToken.None)).Kind);
        Assert.Equal(SendResult.Sent, (await sender.SendAsync(key, new OutboxMessage(2, ChatwootActionKinds.Labels, labels.Serialize(), OutboxStatus.Pending, 0, DateTimeOffset.UtcNow, null), CancellationToken.None)).Kind);
        var requests = _chatwoot.Requests;
        Assert.Equal("/api/v1/accounts/7/conversations/87/assignments", requests[0].Path);
        Assert.Equal("4", requests[0].Json().GetProperty("team_id").GetString());
        Assert.Equal("/api/v1/accounts/7/conversations/87/labels", requests[1].Path);
        Assert.Equal(["bot-handoff", "vip"], requests[1].Json().GetProperty("labels").EnumerateArray().Select(l => l.GetString()));
        Assert.All(requests, r => Assert.Equal("tok", r.Header("api_access_token")));
    }

    [Fact]
    public async Task Typing_on_and_off()
    {
        var typing = _services.GetRequiredService<ChatwootTyping>();
        var tenant = _services.GetRequiredService<TenantCatalog>().Find("acme")!;
        await typing.SetAsync(tenant, "7", "87", on: true, CancellationToken.None);
        await typing.SetAsync(tenant, "7", "87", on: false, CancellationToken.None);
        Assert.Equal(["on", "off"], _chatwoot.Requests.Select(r => r.Json().GetProperty("typing_status").GetString()));
        Assert.False(typing.IsDisabled("acme", "7"));
    }
}

public sealed class ChatwootIgnoredMessageFoldTests
{
    [Theory]
    [InlineData(EventKind.Other, "message_created", Ownership.Unknown)]       // template, activity
    [InlineData(EventKind.PrivateNote, "message_created", Ownership.Unknown)]
    [InlineData(EventKind.BotEcho, "message_created", Ownership.Unknown)]
    [InlineData(EventKind.Other, "message_updated", Ownership.Unknown)]       // receipts
    [InlineData(EventKind.CustomerMessage, "message_created", Ownership.Human)]
    [InlineData(EventKind.AgentMessage, "message_created", Ownership.Human)]
    [InlineData(EventKind.StatusChanged, "conversation_opened", Ownership.Human)]
    public void Only_customer_and_agent_messages_and_conversation_events_carry_ownership(EventKind kind, string type, Ownership expected)
    {
        var platform = new ChatwootConversation(null!);
        var scope = new ConversationScope(new ConversationKey("acme", "7:87"), new TenantOptions { Id = "acme", Platform = PlatformKind.Chatwoot }, new ConversationState());
        var e = new ConversationEvent { Id = "e", Kind = kind, Platform = PlatformKind.Chatwoot, Type = type, PlatformStatus = "open", Data = new() { ["account_id"] = "7", ["conversation_id"] = "87" } };
        Assert.Equal(expected, platform.Fold(scope, e));
    }
}
