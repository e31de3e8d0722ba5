using Conversations.Grains.Ai;
using Conversations.Grains.Ai.Rules;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Grains.Tests.Ai;

public sealed class RulesConnectorTests
{
    private readonly RulesConnector _rules = new();

    [Fact]
    public async Task First_matching_rule_answers_with_buttons_and_handoff()
    {
        var tenant = AiTestKit.Tenant(AiKind.Rules, null, ai =>
        {
            ai.Rules.Add(new AiRule { Pattern = @"\brefund\b", Reply = "A colleague will help.", Handoff = true });
            ai.Rules.Add(new AiRule { Pattern = "order", Reply = "Which one?", Buttons = ["Track=track", "Return"] });
        });
        var refund = await _rules.RespondAsync(AiTestKit.Request(tenant, "I want a REFUND for my order"), CancellationToken.None);
        Assert.True(refund.Handoff);
        Assert.Equal("A colleague will help.", Assert.Single(refund.Messages).Text);

        var order = await _rules.RespondAsync(AiTestKit.Request(tenant, "my order"), CancellationToken.None);
        Assert.False(order.Handoff);
        Assert.Equal([new AiButton("Track", "track"), new AiButton("Return", "Return")], order.Messages[0].ButtonList);
    }

    [Fact]
    public async Task No_match_falls_back_and_default_rules_greet()
    {
        var custom = AiTestKit.Tenant(AiKind.Rules, null, ai => ai.Rules.Add(new AiRule { Pattern = "^never$", Reply = "x" }));
        Assert.Equal(RulesConnector.FallbackReply, (await _rules.RespondAsync(AiTestKit.Request(custom, "hello"), CancellationToken.None)).Messages[0].Text);

        var defaults = AiTestKit.Tenant(AiKind.Rules, null);
        Assert.Equal("Hello! How can I help you today?", (await _rules.RespondAsync(AiTestKit.Request(defaults, "Hello there"), CancellationToken.None)).Messages[0].Text);
        var fallback = await _rules.RespondAsync(AiTestKit.Request(defaults, "my parcel is lost"), CancellationToken.None);
        Assert.Equal("human", Assert.Single(fallback.Messages[0].ButtonList).Value);
    }

    [Fact]
    public async Task A_burst_is_matched_as_one_text_and_invalid_patterns_never_match()
    {
        var tenant = AiTestKit.Tenant(AiKind.Rules, null, ai =>
        {
            ai.Rules.Add(new AiRule { Pattern = "([unclosed", Reply = "never" });
            ai.Rules.Add(new AiRule { Pattern = "order.*late", Reply = "Sorry about the delay." });
        });
        var reply = await _rules.RespondAsync(AiTestKit.Request(tenant, "my order", "is late"), CancellationToken.None);
        Assert.Equal("Sorry about the delay.", reply.Messages[0].Text);
    }
}

public sealed class GrainsRegistrationTests
{
    [Fact]
    public void An_invalid_rule_pattern_fails_at_start_up()
    {
        var configuration = new Microsoft.Extensions.Configuration.ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Conversations:Tenants:0:Id"] = "acme",
            ["Conversations:Tenants:0:Ai:Rules:0:Pattern"] = "([oops",
        }).Build();
        var ex = Assert.Throws<InvalidOperationException>(() => new Microsoft.Extensions.DependencyInjection.ServiceCollection().AddConversationsGrains(configuration));
        Assert.Contains("Conversations:Tenants:0:Ai:Rules:0:Pattern", ex.Message);
    }
}
