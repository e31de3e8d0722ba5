using System.Text.Json.Nodes;
using Conversations.Gateway.Webhooks.Engage;
using Conversations.TestSupport.Engage;

namespace Conversations.Gateway.Tests.Engage;

/// <summary>
/// Issue 13 point 5: Engage ids are ObjectId-like strings (24 hex in every sample; integers in old docs):
/// letters and digits only. An event whose ids are not ("..", "a/b", "7:1") is ignored, never stored.
/// </summary>
public sealed class EngageIdValidationTests
{
    public static TheoryData<string> BadIds => [".", "..", "7:1", "a/b", "65f0a1b2c3d4e5f6012345a1/../x", "id?x=1", "a b", "%2e%2e", new string('a', 65)];

    [Theory]
    [MemberData(nameof(BadIds))]
    public async Task A_bad_thread_id_is_ignored(string id) =>
        Assert.Empty(await EngageWebhookTestKit.StoredAsync(EngagePayloads.CustomerMessage(id, "hi")));

    [Theory]
    [MemberData(nameof(BadIds))]
    public async Task A_bad_content_author_or_category_id_is_ignored(string id)
    {
        Assert.Empty(await EngageWebhookTestKit.StoredAsync(EngagePayloads.CustomerMessage(EngageWebhookTestKit.ThreadId, "hi", contentId: id)));
        Assert.Empty(await EngageWebhookTestKit.StoredAsync(EngagePayloads.CustomerMessage(EngageWebhookTestKit.ThreadId, "hi", authorId: id)));
        Assert.Empty(await EngageWebhookTestKit.StoredAsync(EngagePayloads.CustomerMessage(EngageWebhookTestKit.ThreadId, "hi", interventionId: id)));
        Assert.Empty(await EngageWebhookTestKit.StoredAsync(EngagePayloads.CustomerMessage(EngageWebhookTestKit.ThreadId, "hi", categories: [EngagePayloads.BotCategory, id])));
    }

    [Theory]
    [InlineData("65f0a1b2c3d4e5f601234567")]
    [InlineData("12345")]
    public async Task Hex_and_integer_ids_are_fine(string id) =>
        Assert.Single(await EngageWebhookTestKit.StoredAsync(EngagePayloads.CustomerMessage(id, "hi")));
}
