using System.Text.Json.Nodes;
using Conversations.Gateway.Webhooks.Chatwoot;

namespace Conversations.Gateway.Tests.Chatwoot;

/// <summary>
/// Issue 13 point 5: Chatwoot ids are digits. An account, conversation or inbox id that is not (".", "..", "7:1",
/// "abc") would become another API path on the tenant's host or make two conversations share a key:
/// the event is accepted and ignored (200, nothing stored), and logged.
/// </summary>
public sealed class ChatwootIdValidationTests
{
    public static TheoryData<string> BadIds => [".", "..", "7:1", "abc", "7/..", "", " 7", "7 ", "%2e%2e", "-1", "1e3", "٣"];

    [Theory]
    [MemberData(nameof(BadIds))]
    public async Task A_bad_account_id_is_ignored(string id)
    {
        var h = new ChatwootHandlerHarness();
        var json = ChatwootHandlerHarness.FixtureJson("message_created.incoming_text");
        json["account"] = new JsonObject { ["id"] = id };
        await AssertIgnored(h, json);
    }

    [Theory]
    [MemberData(nameof(BadIds))]
    public async Task A_bad_conversation_id_is_ignored(string id)
    {
        var h = new ChatwootHandlerHarness();
        var json = ChatwootHandlerHarness.FixtureJson("message_created.incoming_text");
        json["conversation"]!["id"] = id;
        await AssertIgnored(h, json);

        var status = ChatwootHandlerHarness.FixtureJson("conversation_status_changed.to_pending");
        status["id"] = id;
        await AssertIgnored(h, status);
    }

    [Theory]
    [MemberData(nameof(BadIds))]
    public async Task A_bad_inbox_id_is_ignored_and_not_remembered(string id)
    {
        var h = new ChatwootHandlerHarness();
        var json = ChatwootHandlerHarness.FixtureJson("message_created.incoming_text");
        json["inbox"] = new JsonObject { ["id"] = id };
        json["conversation"]!["inbox_id"] = id;
        await AssertIgnored(h, json);
        Assert.Null(await h.Store.GetValueAsync(h.Tenant.Id, ChatwootInboxAccounts.StoreName(id), CancellationToken.None));
    }

    [Fact]
    public async Task A_numeric_id_given_as_a_json_number_or_digit_string_is_fine()
    {
        var h = new ChatwootHandlerHarness();
        var json = ChatwootHandlerHarness.FixtureJson("message_created.incoming_text");
        json["account"] = new JsonObject { ["id"] = "7" };
        var verdict = await h.SignedAsync(ChatwootHandlerHarness.Bytes(json));
        Assert.Equal("7:87", Assert.Single(verdict.Deliveries).Key.ConversationId);
    }

    private static async Task AssertIgnored(ChatwootHandlerHarness h, JsonObject json)
    {
        var verdict = await h.SignedAsync(ChatwootHandlerHarness.Bytes(json));
        Assert.Equal(200, verdict.StatusCode);
        Assert.Empty(verdict.Deliveries);
    }
}
