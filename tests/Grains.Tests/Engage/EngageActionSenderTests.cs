using Conversations.Grains.Platforms.Engage.Actions;
using Conversations.TestSupport.Engage;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Grains.Tests.Engage;

public sealed class EngageActionSenderTests : IAsyncLifetime
{
    private const string Thread = "65f0a1b2c3d4e5f601234599";
    private FakeEngageApi _engage = null!;
    private ServiceProvider _services = null!;
    private EngageActionSender _sender = null!;

    public async Task InitializeAsync()
    {
        _engage = await FakeEngageApi.StartAsync();
        _engage.AddThread(Thread, EngagePayloads.OtherCategory, EngagePayloads.BotCategory);
        (_services, _) = EngageTestHost.Build(_engage);
        _sender = _services.GetRequiredService<EngageActionSender>();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _engage.DisposeAsync();
    }

    [Fact]
    public async Task Handoff_replaces_bot_by_agent_and_keeps_the_other_categories()
    {
        var outcome = await Send(EngageActionKinds.Handoff, new EngageHandoffAction("ai failed", false, null, false));
        Assert.Equal(SendResult.Sent, outcome.Kind);
        Assert.Equal([EngagePayloads.OtherCategory, EngagePayloads.AgentCategory], _engage.ThreadCategories(Thread));
        Assert.Single(_engage.Requests, r => r.Is("GET", $"/1.0/content_threads/{Thread}"));
    }

    [Fact]
    public async Task Handoff_retries_update_categories_on_409()
    {
        _engage.FailNext("PUT", "/1.0/content_threads", 409, "already_categorizing", times: 2);
        var outcome = await Send(EngageActionKinds.Handoff, new EngageHandoffAction("keyword", false, null, false));
        Assert.Equal(SendResult.Sent, outcome.Kind);
        Assert.Equal(3, _engage.Requests.Count(r => r.Is("PUT", "/1.0/content_threads")));
        Assert.Equal([EngagePayloads.OtherCategory, EngagePayloads.AgentCategory], _engage.ThreadCategories(Thread));
    }

    [Fact]
    public async Task A_409_that_persists_is_left_to_the_outbox_to_retry()
    {
        _engage.FailNext("PUT", "/1.0/content_threads", 409, "already_categorizing", times: 10);
        var outcome = await Send(EngageActionKinds.Handoff, new EngageHandoffAction("keyword", false, null, false));
        Assert.Equal(SendResult.RetryLater, outcome.Kind);
    }

    [Fact]
    public async Task Handoff_closes_the_bots_intervention_when_it_replied_and_cancels_it_when_not()
    {
        var content = _engage.AddCustomerContent(Thread, "hi");
        Assert.Equal(SendResult.Sent, (await Send(EngageActionKinds.OpenIntervention, new EngageOpenInterventionAction(content))).Kind);
        Assert.Equal(SendResult.Sent, (await Send(EngageActionKinds.Reply, new EngageReplyAction(content, "hello"))).Kind);
        var intervention = Assert.Single(_engage.Interventions(Thread));
        Assert.Equal(1, intervention.BotReplies);

        // Intervention id unknown to the grain: looked up by owner.
        Assert.Equal(SendResult.Sent, (await Send(EngageActionKinds.Handoff, new EngageHandoffAction("ai", true, null, true))).Kind);
        Assert.True(Assert.Single(_engage.Interventions(Thread)).Closed);
        Assert.False(_engage.Interventions(Thread)[0].Cancelled);

        const string other = "65f0a1b2c3d4e5f6012345aa";
        _engage.AddThread(other, EngagePayloads.BotCategory);
        var second = _engage.AddCustomerContent(other, "hi");
        await Send(EngageActionKinds.OpenIntervention, new EngageOpenInterventionAction(second), other);
        var id = Assert.Single(_engage.Interventions(other)).Id;
        Assert.Equal(SendResult.Sent, (await Send(EngageActionKinds.Handoff, new EngageHandoffAction("ai", true, id, false), other)).Kind);
        Assert.True(Assert.Single(_engage.Interventions(other)).Cancelled);
    }

    [Fact]
    public async Task An_inactivity_resolve_closes_the_bots_intervention_and_leaves_the_thread_in_bot()
    {
        var content = _engage.AddCustomerContent(Thread, "hi");
        await Send(EngageActionKinds.OpenIntervention, new EngageOpenInterventionAction(content));
        await Send(EngageActionKinds.Reply, new EngageReplyAction(content, "hello"));
        var id = Assert.Single(_engage.Interventions(Thread)).Id;

        Assert.Equal(SendResult.Sent, (await Send(EngageActionKinds.Resolve, new EngageResolveAction(true, id, true, CloseThread: false))).Kind);
        var intervention = Assert.Single(_engage.Interventions(Thread));
        Assert.True(intervention.Closed);
        Assert.False(intervention.Cancelled);
        Assert.Equal([EngagePayloads.OtherCategory, EngagePayloads.BotCategory], _engage.ThreadCategories(Thread));
        Assert.False(_engage.IsThreadClosed(Thread));
        Assert.DoesNotContain(_engage.Requests, r => r.Is("PUT", "/1.0/content_threads"));

        // Sent again (at least once): the intervention is already closed, which is not a failure.
        Assert.Equal(SendResult.Sent, (await Send(EngageActionKinds.Resolve, new EngageResolveAction(true, id, true, CloseThread: false))).Kind);
    }

    [Fact]
    public async Task An_inactivity_resolve_without_a_reply_cancels_and_looks_the_intervention_up_by_owner()
    {
        var content = _engage.AddCustomerContent(Thread, "hi");
        await Send(EngageActionKinds.OpenIntervention, new EngageOpenInterventionAction(content));
        Assert.Equal(SendResult.Sent, (await Send(EngageActionKinds.Resolve, new EngageResolveAction(true, null, false, CloseThread: false))).Kind);
        Assert.True(Assert.Single(_engage.Interventions(Thread)).Cancelled);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task With_CloseThreadOnResolve_the_thread_is_closed_where_the_source_allows_it(bool closable)
    {
        _engage.ThreadsClosable = closable;
        var outcome = await Send(EngageActionKinds.Resolve, new EngageResolveAction(false, null, false, CloseThread: true));

        Assert.Equal(SendResult.Sent, outcome.Kind); // a source that cannot be closed is no reason to park the resolve
        Assert.Single(_engage.Requests, r => r.Is("PUT", $"/1.0/content_threads/{Thread}/close"));
        Assert.Equal(closable, _engage.IsThreadClosed(Thread));
        Assert.Empty(_engage.Interventions(Thread));
    }

    [Fact]
    public async Task A_resolve_whose_thread_close_fails_for_now_is_retried()
    {
        _engage.FailNext("PUT", $"/1.0/content_threads/{Thread}/close", 503, "unavailable");
        Assert.Equal(SendResult.RetryLater, (await Send(EngageActionKinds.Resolve, new EngageResolveAction(false, null, false, CloseThread: true))).Kind);
    }

    [Fact]
    public async Task Opening_an_already_open_intervention_is_not_a_failure()
    {
        var content = _engage.AddCustomerContent(Thread, "hi");
        await Send(EngageActionKinds.OpenIntervention, new EngageOpenInterventionAction(content));
        Assert.Equal(SendResult.Sent, (await Send(EngageActionKinds.OpenIntervention, new EngageOpenInterventionAction(content))).Kind);
        Assert.Single(_engage.Interventions(Thread));
    }

    [Fact]
    public async Task A_reply_to_a_closed_thread_is_permanent_and_a_429_is_retried()
    {
        var content = _engage.AddCustomerContent(Thread, "hi");
        _engage.FailNext("POST", "/1.0/contents", 429, "rate_limit_exceeded");
        var limited = await Send(EngageActionKinds.Reply, new EngageReplyAction(content, "hello"));
        Assert.Equal(SendResult.RetryLater, limited.Kind);

        _engage.CloseThread(Thread);
        var closed = await Send(EngageActionKinds.Reply, new EngageReplyAction(content, "hello"));
        Assert.Equal(SendResult.Permanent, closed.Kind);
        Assert.Contains("cant_reply_to_closed_thread", closed.Error);
    }

    [Fact]
    public async Task Return_to_bot_puts_bot_back_and_removes_agent()
    {
        _engage.AddThread(Thread, EngagePayloads.AgentCategory, EngagePayloads.OtherCategory);
        Assert.Equal(SendResult.Sent, (await Send(EngageActionKinds.ReturnToBot, new EngageReturnToBotAction("intervention closed"))).Kind);
        Assert.Equal([EngagePayloads.OtherCategory, EngagePayloads.BotCategory], _engage.ThreadCategories(Thread));
    }

    private ValueTask<SendOutcome> Send<T>(string kind, T payload, string thread = Thread)
    {
        var message = EngageActionKinds.Create(kind, payload);
        var tenant = _services.GetRequiredService<TenantCatalog>().Find("acme")!;
        return _sender.SendAsync(tenant, new ConversationKey("acme", thread), new OutboxMessage(1, message.Kind, message.Payload, OutboxStatus.Pending, 0, DateTimeOffset.UtcNow, null), CancellationToken.None);
    }
}
