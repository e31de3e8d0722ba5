using System.Reflection;
using Conversations.Grains.Ai;
using Conversations.Grains.Conversation;

namespace Conversations.Grains.Tests.Conversation;

/// <summary>Handoff:Routes: the first route matching the handoff's reason goes to the platform and is kept in the state.</summary>
public sealed class HandoffRoutingPolicyTests
{
    private static GrainHarness Harness() => new(t => t.Handoff.Routes =
    [
        new() { Topic = "billing", TeamId = "4", Labels = ["billing"] },
        new() { Reason = "customer_asked", TeamId = "2", AssigneeId = "12", Labels = ["asked-for-human"], Priority = "High" },
        new() { Reason = "customer_asked", TeamId = "99" },
        new() { Reason = "ai_failure", Labels = ["bot-down"], Priority = "urgent" },
    ]);

    [Fact]
    public async Task A_keyword_handoff_takes_the_first_route_for_its_reason()
    {
        var h = Harness();
        await h.TurnAsync(h.Customer("I want a human"));

        Assert.Same(h.Tenant.Handoff.Routes[1], Assert.Single(h.Platform.Handoffs).Route);
        var route = h.State.LastHandoffRoute!;
        Assert.Equal(new HandoffRouteRecord(1, "reason:customer_asked", "2", "12", null, "high"), route with { Labels = null });
        Assert.Equal(["asked-for-human"], route.Labels!);

        // What the grain's snapshot (the admin view) shows of it.
        var view = h.Factory.HandoffRouteOf(ConversationStateJson.Serialize(h.State));
        Assert.Equal(new HandoffRouteView(1, "reason:customer_asked", "2", "12", view!.Labels, "high", null, h.State.LastHandoffAt), view);
        Assert.Equal(["asked-for-human"], view.Labels);
        Assert.Null(h.Factory.HandoffRouteOf(ConversationStateJson.Serialize(new ConversationState())));
        Assert.Null(h.Factory.HandoffRouteOf("{not json"u8.ToArray()));
    }

    [Fact]
    public async Task An_ai_handoff_with_a_topic_takes_the_topics_route_and_one_without_takes_its_reasons()
    {
        var h = Harness();
        h.Ai.Answer = _ => new AiReply([new AiMessage("A colleague will look at your invoice.")], Handoff: true, HandoffTopic: "Billing");
        await h.TurnAsync(h.Customer("I was charged twice"));
        Assert.Same(h.Tenant.Handoff.Routes[0], h.Platform.Handoffs[^1].Route);
        Assert.Equal("topic:billing", h.State.LastHandoffRoute!.Match);

        // A topic no route names is no match: the reason's route (none here for ai_signal) decides.
        await h.TurnAsync(h.Event(EventKind.StatusChanged, status: "bot"));
        h.Ai.Answer = _ => new AiReply([], Handoff: true, HandoffTopic: "weather");
        await h.TurnAsync(h.Customer("is it sunny?"));
        Assert.Null(h.State.LastHandoffRoute);
    }

    [Fact]
    public async Task An_ai_failure_takes_its_route_and_a_handoff_no_route_matches_goes_to_the_default()
    {
        var h = Harness();
        h.Ai.Answer = _ => throw new AiUnavailableException("HTTP 503");
        await h.TurnAsync(h.Customer("hello"));
        Assert.Equal(3, h.State.LastHandoffRoute!.Index);
        Assert.Equal("reason:ai_failure", h.State.LastHandoffRoute.Match);

        // Pushed back to the bot, then handed off for a reason no route names: no route, and the old one is gone.
        await h.TurnAsync(h.Event(EventKind.StatusChanged, status: "bot"));
        h.Ai.Answer = _ => new AiReply([], Handoff: true);
        await h.TurnAsync(h.Customer("hello again"));
        Assert.Null(h.Platform.Handoffs[^1].Route);
        Assert.Null(h.State.LastHandoffRoute);
        Assert.Equal(HandoffCause.AiSignal, h.State.LastHandoffCause);
    }

    [Fact]
    public async Task A_route_with_neither_reason_nor_topic_takes_every_handoff()
    {
        var h = new GrainHarness(t =>
        {
            t.Handoff.MaxBotTurns = 1;
            t.Handoff.Routes = [new() { Topic = "billing", TeamId = "4" }, new() { TeamId = "1" }];
        });
        await h.TurnAsync(h.Customer("first question"));
        await h.TurnAsync(h.Customer("second question"));
        Assert.Equal(new HandoffRouteRecord(1, "any", "1"), h.State.LastHandoffRoute);
        Assert.Equal(HandoffCause.MaxBotTurns, h.State.LastHandoffCause);
    }

    [Fact]
    public void The_reasons_a_route_may_name_are_the_handoff_causes()
    {
        var causes = typeof(HandoffCause).GetFields(BindingFlags.Public | BindingFlags.Static).Select(f => (string)f.GetValue(null)!).Order();
        Assert.Equal(causes, HandoffRoute.Reasons.Order());
    }
}
