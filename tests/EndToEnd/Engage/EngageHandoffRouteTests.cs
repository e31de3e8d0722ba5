using Conversations.EndToEnd.Chatwoot;
using Conversations.Grains.Conversation;
using Conversations.TestSupport.Engage;
using Conversations.TestSupport.Http;

namespace Conversations.EndToEnd.Engage;

/// <summary>Handoff routes on Engage through the whole silo: the thread goes to the route's category instead of AGENT.</summary>
public sealed class EngageHandoffRouteTests
{
    private const string BillingCategory = "64aa10d4d4d4d4d4d4d4d4d5";
    private const string HumansCategory = "64aa10e5e5e5e5e5e5e5e5e6";

    [Fact]
    public async Task An_openai_tool_handoff_with_a_topic_and_a_keyword_handoff_each_take_their_routes_category()
    {
        await using var ai = await LoopbackServer.StartAsync();
        ai.On("POST", FakeAi.ChatCompletions, request => FakeAi.UserText(request).Contains("charged twice", StringComparison.Ordinal)
            ? LoopbackResponse.Json("""
                {"choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":"Billing will take it from here.",
                  "tool_calls":[{"id":"c1","type":"function","function":{"name":"handoff_to_human","arguments":"{\"reason\":\"refund\",\"topic\":\"billing\"}"}}]}}]}
                """)
            : FakeAi.OpenAiText("echo"));
        await using var world = await EngageWorld.StartAsync(
            "--Conversations:Tenants:0:Ai:Kind=OpenAi",
            $"--Conversations:Tenants:0:Ai:Endpoint={ai.BaseAddress}",
            "--Conversations:Tenants:0:Handoff:Routes:0:Topic=billing",
            $"--Conversations:Tenants:0:Handoff:Routes:0:CategoryId={BillingCategory}",
            "--Conversations:Tenants:0:Handoff:Routes:1:Reason=customer_asked",
            $"--Conversations:Tenants:0:Handoff:Routes:1:CategoryId={HumansCategory}");

        var billing = world.NewThread(EngagePayloads.BotCategory, EngagePayloads.OtherCategory);
        await world.DeliverAsync(world.CustomerWrites(billing, "I was charged twice", firstInThread: true));
        await world.Engage.WaitUntilAsync(() => world.Engage.ThreadCategories(billing).Contains(BillingCategory), "the billing handoff");
        Assert.Equal([EngagePayloads.OtherCategory, BillingCategory], world.Engage.ThreadCategories(billing));
        var state = await world.WaitForStateAsync(billing, s => s.Mode == ConversationMode.Human, "human mode");
        Assert.Equal("topic:billing", state.LastHandoffRoute!.Match);

        var asked = world.NewThread(EngagePayloads.BotCategory);
        await world.DeliverAsync(world.CustomerWrites(asked, "I want a human", firstInThread: true));
        await world.Engage.WaitUntilAsync(() => world.Engage.ThreadCategories(asked).Contains(HumansCategory), "the keyword handoff");
        Assert.Equal([HumansCategory], world.Engage.ThreadCategories(asked));
        Assert.DoesNotContain(EngagePayloads.AgentCategory, world.Engage.ThreadCategories(billing).Concat(world.Engage.ThreadCategories(asked)));
    }
}
