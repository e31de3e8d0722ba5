using Conversations.Engage;
using Conversations.Grains.Ai;
using Conversations.Grains.Conversation;
using Conversations.Grains.Platforms.Engage;
using Conversations.Grains.Platforms.Engage.Actions;
using Conversations.TestSupport.Engage;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Grains.Tests.Engage;

/// <summary>The Engage seam's decisions, without the network: ownership, intervention rules, reply text, handoff actions.</summary>
public sealed class EngageConversationTests : IAsyncLifetime
{
    private const string Thread = "65f0a1b2c3d4e5f601234567";
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 12, 0, 0, TimeSpan.Zero);
    private FakeEngageApi _engage = null!;
    private ServiceProvider _services = null!;
    private EngageConversation _seam = null!;

    public async Task InitializeAsync()
    {
        _engage = await FakeEngageApi.StartAsync();
        (_services, _) = EngageTestHost.Build(_engage);
        _seam = (EngageConversation)_services.GetServices<IPlatformConversation>().Single(p => p.Platform == PlatformKind.Engage);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _engage.DisposeAsync();
    }

    [Fact]
    public void The_bot_category_gives_the_bot_ownership_and_any_other_gives_humans()
    {
        var scope = Scope();
        Assert.Equal(Ownership.Bot, _seam.Fold(scope, Customer("c1", EngageEventData.StatusBot)));
        Assert.Equal(Ownership.Human, _seam.Fold(scope, Customer("c2", EngageEventData.StatusAgent)));
        Assert.Equal(Ownership.Unknown, _seam.Fold(scope, Customer("c3", null)));
        Assert.Equal(Ownership.Ended, _seam.Fold(scope, Event(EngageEventTypes.ContentThreadClosed, EventKind.Resolved)));
        Assert.Equal("c3", scope.State.Platform["engage.reply_to"]);
    }

    [Fact]
    public void A_human_intervention_keeps_the_bot_out_until_a_content_arrives_outside_it()
    {
        var scope = Scope();
        Assert.Equal(Ownership.Human, _seam.Fold(scope, Event(EngageEventTypes.InterventionOpened, EventKind.HumanTookOver, ("intervention_id", "i-agent"), ("user_id", EngagePayloads.AgentUser))));
        Assert.Equal(Ownership.Human, _seam.Fold(scope, Customer("c1", EngageEventData.StatusBot, interventionId: "i-agent")));
        Assert.Equal(Ownership.Unknown, _seam.Fold(scope, Event(EngageEventTypes.InterventionClosed, EventKind.StatusChanged, ("intervention_id", "i-agent"), ("user_id", EngagePayloads.AgentUser))));
        Assert.Equal(Ownership.Bot, _seam.Fold(scope, Customer("c2", EngageEventData.StatusBot)));
    }

    [Fact]
    public void Return_to_bot_on_close_makes_the_close_a_push_back_with_its_action()
    {
        var scope = Scope(t => t.Engage.ReturnToBotOnClose = true);
        var closed = Event(EngageEventTypes.InterventionClosed, EventKind.StatusChanged, ("intervention_id", "i-agent"), ("user_id", EngagePayloads.AgentUser));
        Assert.Equal(Ownership.Bot, _seam.Fold(scope, closed));
        var action = Assert.Single(_seam.BuildEventActions(scope, closed));
        Assert.Equal(EngageActionKinds.ReturnToBot, action.Kind);

        // The bot's own intervention closing is not an agent giving the thread back.
        var scope2 = Scope(t => t.Engage.ReturnToBotOnClose = true);
        var own = Event(EngageEventTypes.InterventionClosed, EventKind.StatusChanged, ("intervention_id", "i-bot"), ("user_id", EngagePayloads.BotUser));
        Assert.Equal(Ownership.Unknown, _seam.Fold(scope2, own));
        Assert.Empty(_seam.BuildEventActions(scope2, own));
    }

    [Fact]
    public void The_first_reply_on_a_first_content_opens_an_intervention_and_later_ones_do_not()
    {
        var scope = Scope();
        _seam.Fold(scope, Customer("c1", EngageEventData.StatusBot, firstInThread: true));
        var first = _seam.BuildReply(scope, AiReply.Text("hello"));
        Assert.Equal([EngageActionKinds.OpenIntervention, EngageActionKinds.Reply], first.Select(a => a.Kind));
        Assert.Equal("c1", EngageActionKinds.Read<EngageOpenInterventionAction>(first[0].Payload).ContentId);

        _seam.Fold(scope, Customer("c2", EngageEventData.StatusBot, interventionId: "i-bot"));
        var second = Assert.Single(_seam.BuildReply(scope, AiReply.Text("again")));
        Assert.Equal("c2", EngageActionKinds.Read<EngageReplyAction>(second.Payload).InReplyToId);
        Assert.Equal("i-bot", scope.State.Platform["engage.bot_intervention_id"]);

        var handoff = Assert.Single(_seam.BuildHandoff(scope, new HandoffRequest("keyword", "summary")));
        var payload = EngageActionKinds.Read<EngageHandoffAction>(handoff.Payload);
        Assert.Equal(("keyword", true, "i-bot", true), (payload.Reason, payload.BotIntervention, payload.InterventionId, payload.BotReplied));
        Assert.Contains("summary", payload.Summary);
    }

    [Fact]
    public void An_inactivity_resolve_ends_the_bots_intervention_and_the_customers_return_opens_a_new_one()
    {
        var scope = Scope(t => t.Engage.CloseThreadOnResolve = true);
        _seam.Fold(scope, Customer("c1", EngageEventData.StatusBot, firstInThread: true));
        _seam.BuildReply(scope, AiReply.Text("hello"));
        _seam.Fold(scope, Customer("c2", EngageEventData.StatusBot, interventionId: "i-bot"));

        var resolve = Assert.Single(_seam.BuildResolve(scope));
        Assert.Equal(EngageActionKinds.Resolve, resolve.Kind);
        Assert.Equal(new EngageResolveAction(true, "i-bot", true, true), EngageActionKinds.Read<EngageResolveAction>(resolve.Payload));
        Assert.False(scope.State.Platform.ContainsKey("engage.bot_intervention_id"));

        // The customer comes back outside any intervention (Engage did not reopen it): the bot opens one before answering.
        _seam.Fold(scope, Customer("c3", EngageEventData.StatusBot));
        Assert.Equal([EngageActionKinds.OpenIntervention, EngageActionKinds.Reply], _seam.BuildReply(scope, AiReply.Text("welcome back")).Select(a => a.Kind));
    }

    [Fact]
    public void After_a_resolve_a_content_under_a_reopened_intervention_opens_none()
    {
        var scope = Scope();
        _seam.Fold(scope, Customer("c1", EngageEventData.StatusBot, interventionId: "i-bot"));
        scope.State.Platform["engage.bot_intervention_id"] = "i-bot";
        Assert.Equal(new EngageResolveAction(true, "i-bot", false, false), EngageActionKinds.Read<EngageResolveAction>(Assert.Single(_seam.BuildResolve(scope)).Payload));

        _seam.Fold(scope, Customer("c2", EngageEventData.StatusBot, interventionId: "i-bot"));
        _seam.Fold(scope, Customer("c3", EngageEventData.StatusBot));
        Assert.Equal([EngageActionKinds.Reply], _seam.BuildReply(scope, AiReply.Text("hello")).Select(a => a.Kind));
    }

    [Fact]
    public void A_resolve_without_a_bot_intervention_has_none_to_end()
    {
        var scope = Scope(t => t.Engage.OpenIntervention = false);
        _seam.Fold(scope, Customer("c1", EngageEventData.StatusBot));
        Assert.Empty(_seam.BuildResolve(scope));
        _seam.Fold(scope, Customer("c2", EngageEventData.StatusBot));
        Assert.Equal([EngageActionKinds.Reply], _seam.BuildReply(scope, AiReply.Text("hello")).Select(a => a.Kind));
    }

    [Fact]
    public void A_resolve_without_a_bot_intervention_still_closes_the_thread_when_the_tenant_asks()
    {
        var scope = Scope(t =>
        {
            t.Engage.OpenIntervention = false;
            t.Engage.CloseThreadOnResolve = true;
        });
        _seam.Fold(scope, Customer("c1", EngageEventData.StatusBot));
        Assert.Equal(new EngageResolveAction(false, null, false, true), EngageActionKinds.Read<EngageResolveAction>(Assert.Single(_seam.BuildResolve(scope)).Payload));
    }

    [Fact]
    public void Replies_are_plain_text_with_buttons_and_links_written_out()
    {
        var reply = new AiReply([
            new AiMessage("<p>Hello <b>Jane</b></p>", [new AiButton("Track &amp; trace", "track"), new AiButton("Agent", "human")]),
            new AiMessage("See", Cards: [new AiCard("Parcel", "Arrives <i>today</i>", null, [new AiCardAction("Open", Uri: "https://x.example/p")])]),
        ]);
        Assert.Equal("Hello Jane\n1. Track & trace\n2. Agent\n\nSee\nParcel - Arrives today\nOpen: https://x.example/p", EngageConversation.ReplyText(reply));
    }

    [Fact]
    public void With_the_holding_policy_the_handoff_starts_with_the_availability_check()
    {
        var scope = Scope(t =>
        {
            t.Engage.CheckAgentAvailability = true;
            t.Engage.NoAgentPolicy = NoAgentPolicy.HoldingMessage;
        });
        _seam.Fold(scope, Customer("c1", EngageEventData.StatusBot));
        var actions = _seam.BuildHandoff(scope, new HandoffRequest("ai failed", "summary"));
        Assert.Equal([EngageActionKinds.HoldingIfNoAgent, EngageActionKinds.Handoff], actions.Select(a => a.Kind));
        Assert.Equal("c1", EngageActionKinds.Read<EngageHoldingIfNoAgentAction>(actions[0].Payload).InReplyToId);
    }

    [Fact]
    public void A_bot_category_long_after_our_handoff_counts_as_a_push_back()
    {
        var scope = Scope();
        scope.State.AwaitingHumanConfirmation = true;
        scope.State.LastHandoffAt = T0;
        _seam.Fold(scope, Customer("c1", EngageEventData.StatusBot, at: T0.AddSeconds(5)));
        Assert.True(scope.State.AwaitingHumanConfirmation);
        _seam.Fold(scope, Customer("c2", EngageEventData.StatusBot, at: T0 + EngageConversation.HandoffSettleTime + TimeSpan.FromSeconds(1)));
        Assert.False(scope.State.AwaitingHumanConfirmation);
    }

    private ConversationScope Scope(Action<TenantOptions>? configure = null) =>
        new(new ConversationKey("acme", Thread), EngageTestHost.Tenant(_engage, configure), new ConversationState());

    private static ConversationEvent Customer(string contentId, string? status, bool firstInThread = false, string? interventionId = null, DateTimeOffset? at = null)
    {
        var data = new Dictionary<string, string> { [EngageEventData.ThreadId] = Thread, [EngageEventData.ContentId] = contentId, [EngageEventData.FirstInThread] = firstInThread ? "true" : "false" };
        if (interventionId is not null) data[EngageEventData.InterventionId] = interventionId;
        return new ConversationEvent
        {
            Id = "e-" + contentId, Kind = EventKind.CustomerMessage, Platform = PlatformKind.Engage, Type = EngageEventTypes.ContentImported,
            OccurredAt = at ?? T0, Text = "text " + contentId, PlatformStatus = status, Data = data,
        };
    }

    private static ConversationEvent Event(string type, EventKind kind, params (string Key, string Value)[] data) => new()
    {
        Id = "e-" + type, Kind = kind, Platform = PlatformKind.Engage, Type = type, OccurredAt = T0,
        Data = data.ToDictionary(d => d.Key, d => d.Value),
    };
}

public sealed class EngageReplyPrivacyTests
{
    [Theory]
    [InlineData("true", true)]
    [InlineData("false", false)]
    [InlineData(null, false)]
    public void A_reply_takes_the_privacy_of_the_content_it_answers(string? isPrivate, bool expected)
    {
        var seam = new EngageConversation(null!, null!, null!, Microsoft.Extensions.Logging.Abstractions.NullLogger<EngageConversation>.Instance);
        var tenant = new TenantOptions { Id = "acme", Platform = PlatformKind.Engage, Engage = new EngageTenantOptions { BotCategoryId = EngagePayloads.BotCategory } };
        var scope = new ConversationScope(new ConversationKey("acme", "t1"), tenant, new ConversationState());
        var data = new Dictionary<string, string> { [EngageEventData.ContentId] = "c1" };
        if (isPrivate is not null) data[EngageEventData.Private] = isPrivate;
        seam.Fold(scope, new ConversationEvent { Id = "e", Kind = EventKind.CustomerMessage, Platform = PlatformKind.Engage, Type = EngageEventTypes.ContentImported, PlatformStatus = EngageEventData.StatusBot, Data = data });
        var reply = Assert.Single(seam.BuildReply(scope, AiReply.Text("hello")), a => a.Kind == EngageActionKinds.Reply);
        Assert.Equal(expected, EngageActionKinds.Read<EngageReplyAction>(reply.Payload).Private);
    }
}
