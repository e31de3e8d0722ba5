using Conversations.Engage;
using Conversations.TestSupport.Engage;
using static Conversations.Gateway.Tests.Engage.EngageWebhookTestKit;

namespace Conversations.Gateway.Tests.Engage;

/// <summary>The webhook's <c>private</c> flag reaches the grain, so the reply can take the privacy of the content it answers.</summary>
public sealed class EngagePrivacyTests
{
    [Theory]
    [InlineData(true, "true")]
    [InlineData(false, "false")]
    [InlineData(null, null)]
    public async Task The_private_flag_is_carried_when_the_payload_has_it(bool? isPrivate, string? expected)
    {
        var e = Assert.Single(await StoredAsync(EngagePayloads.CustomerMessage(ThreadId, "hello", isPrivate: isPrivate)));
        Assert.Equal(expected, e.Data.GetValueOrDefault(EngageEventData.Private));
    }
}
