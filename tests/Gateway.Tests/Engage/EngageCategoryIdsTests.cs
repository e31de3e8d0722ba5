using Conversations.Engage;
using Conversations.TestSupport.Engage;
using static Conversations.Gateway.Tests.Engage.EngageWebhookTestKit;

namespace Conversations.Gateway.Tests.Engage;

/// <summary>An empty <c>category_ids</c> (seen in Engage's documented samples) says as little as a missing one.</summary>
public sealed class EngageCategoryIdsTests
{
    [Fact]
    public async Task An_empty_category_list_leaves_the_status_unknown_for_the_grain_to_look_up()
    {
        var e = Assert.Single(await StoredAsync(EngagePayloads.CustomerMessage(ThreadId, "hello?", categories: [])));
        Assert.Equal(EventKind.CustomerMessage, e.Kind);
        Assert.Null(e.PlatformStatus);
        Assert.False(e.Data.ContainsKey(EngageEventData.CategoryIds));
    }

    [Fact]
    public async Task A_list_without_bot_is_still_agent_owned()
    {
        var e = Assert.Single(await StoredAsync(EngagePayloads.CustomerMessage(ThreadId, "hello?", categories: [EngagePayloads.OtherCategory])));
        Assert.Equal(EngageEventData.StatusAgent, e.PlatformStatus);
    }
}
