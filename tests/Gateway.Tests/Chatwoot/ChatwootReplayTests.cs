using System.Globalization;
using System.Text.Json.Nodes;
using Conversations.Gateway.Webhooks;
using Conversations.Gateway.Webhooks.Chatwoot;
using Microsoft.AspNetCore.Http;

namespace Conversations.Gateway.Tests.Chatwoot;

/// <summary>
/// Issue 13 point 2: a captured signed request re-sent within the signature window is a duplicate,
/// whatever its unsigned headers (X-Chatwoot-Delivery) say, and whenever it arrives.
/// </summary>
public sealed class ChatwootReplayTests
{
    private readonly ChatwootHandlerHarness _h = new();

    public static TheoryData<string> DeliveryKeyedEvents => ["conversation_status_changed", "conversation_updated", "message_updated", "webwidget_triggered"];

    [Theory]
    [MemberData(nameof(DeliveryKeyedEvents))]
    public async Task A_replayed_signed_request_with_a_new_delivery_id_is_a_duplicate(string eventType)
    {
        var body = Body(eventType);
        var ts = ChatwootHandlerHarness.Now.ToUnixTimeSeconds();
        var signature = ChatwootSignature.Sign(ChatwootHandlerHarness.Secret, ts, body);
        var original = await SendAsync(body, ts, signature, "d-original", ChatwootHandlerHarness.Now);
        var replay = await SendAsync(body, ts, signature, "d-forged-" + Guid.NewGuid(), ChatwootHandlerHarness.Now.AddSeconds(200));
        Assert.Equal(200, replay.StatusCode);
        Assert.Equal(Assert.Single(original.Deliveries).Message.DedupeKey, Assert.Single(replay.Deliveries).Message.DedupeKey);
    }

    [Fact]
    public async Task A_replayed_status_change_is_not_stored_twice()
    {
        var body = Body("conversation_status_changed");
        var ts = ChatwootHandlerHarness.Now.ToUnixTimeSeconds();
        var signature = ChatwootSignature.Sign(ChatwootHandlerHarness.Secret, ts, body);
        var first = Assert.Single((await SendAsync(body, ts, signature, "d-1", ChatwootHandlerHarness.Now)).Deliveries);
        var again = Assert.Single((await SendAsync(body, ts, signature, "d-2", ChatwootHandlerHarness.Now.AddSeconds(60))).Deliveries);
        var stored = await _h.Store.AppendAsync(first.Key, [first.Message], CancellationToken.None);
        var replayed = await _h.Store.AppendAsync(again.Key, [again.Message], CancellationToken.None);
        Assert.Equal(1, stored.Appended);
        Assert.Equal(0, replayed.Appended);
        Assert.Equal(1, replayed.Duplicates);
    }

    [Fact]
    public async Task The_same_webwidget_trigger_a_second_later_without_a_delivery_id_is_a_duplicate()
    {
        var body = Body("webwidget_triggered");
        var ts = ChatwootHandlerHarness.Now.ToUnixTimeSeconds();
        var signature = ChatwootSignature.Sign(ChatwootHandlerHarness.Secret, ts, body);
        var a = await SendAsync(body, ts, signature, delivery: null, ChatwootHandlerHarness.Now);
        var b = await SendAsync(body, ts, signature, delivery: null, ChatwootHandlerHarness.Now.AddSeconds(1));
        Assert.Equal(a.Deliveries[0].Message.DedupeKey, b.Deliveries[0].Message.DedupeKey);
    }

    [Fact]
    public async Task Two_different_status_changes_stay_two_events()
    {
        var json = ChatwootHandlerHarness.FixtureJson("conversation_status_changed.to_pending");
        var a = await _h.SignedAsync(ChatwootHandlerHarness.Bytes(json), delivery: "d-1");
        json["status"] = "open";
        json["updated_at"] = 1773147999.5;
        var b = await _h.SignedAsync(ChatwootHandlerHarness.Bytes(json), delivery: "d-2");
        Assert.NotEqual(a.Deliveries[0].Message.DedupeKey, b.Deliveries[0].Message.DedupeKey);
    }

    private static byte[] Body(string eventType)
    {
        JsonObject json;
        switch (eventType)
        {
            case "message_updated":
                json = ChatwootHandlerHarness.FixtureJson("message_created.outgoing_bot_echo");
                break;
            case "webwidget_triggered":
                var conversation = ChatwootHandlerHarness.FixtureJson("conversation_resolved");
                conversation.Remove("event");
                json = new JsonObject
                {
                    ["id"] = 5120,
                    ["contact"] = new JsonObject { ["id"] = 4321, ["name"] = "Maria Lopez" },
                    ["inbox"] = new JsonObject { ["id"] = 12, ["name"] = "Website Chat" },
                    ["account"] = new JsonObject { ["id"] = 7 },
                    ["current_conversation"] = conversation,
                };
                break;
            default:
                json = ChatwootHandlerHarness.FixtureJson("conversation_status_changed.to_pending");
                if (eventType == "conversation_updated") json["changed_attributes"] = new JsonArray(new JsonObject { ["status"] = new JsonObject { ["previous_value"] = "open", ["current_value"] = "pending" } });
                break;
        }
        json["event"] = eventType;
        return ChatwootHandlerHarness.Bytes(json);
    }

    private Task<WebhookVerdict> SendAsync(byte[] body, long timestamp, string signature, string? delivery, DateTimeOffset receivedAt)
    {
        var headers = new HeaderDictionary
        {
            [ChatwootSignature.TimestampHeader] = timestamp.ToString(CultureInfo.InvariantCulture),
            [ChatwootSignature.SignatureHeader] = signature,
        };
        if (delivery is not null) headers[ChatwootSignature.DeliveryHeader] = delivery;
        return _h.Handler.HandleAsync(new WebhookRequest("POST", QueryCollection.Empty, headers, body, receivedAt), _h.Tenant, CancellationToken.None).AsTask();
    }
}
