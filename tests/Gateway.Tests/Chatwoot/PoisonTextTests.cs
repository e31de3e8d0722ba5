using System.Text;
using Conversations.Gateway.Tests.Engage;
using Conversations.Gateway.Webhooks;
using Conversations.Gateway.Webhooks.Engage;
using Conversations.TestSupport.Engage;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conversations.Gateway.Tests.Chatwoot;

/// <summary>Issue 13 point 3: text that cannot be read (invalid UTF-8, a lone surrogate) is malformed input, 400, never a 500 the platform retries forever.</summary>
public sealed class PoisonTextTests
{
    private const string Marker = "POISON";

    /// <summary>A JSON body whose string "POISON" is replaced by raw bytes (invalid UTF-8) or by an escape (a lone surrogate).</summary>
    private static byte[] Poison(string json, byte[] replacement)
    {
        var bytes = Encoding.UTF8.GetBytes(json);
        var marker = Encoding.UTF8.GetBytes(Marker);
        var at = bytes.AsSpan().IndexOf(marker);
        Assert.True(at >= 0);
        return [.. bytes[..at], .. replacement, .. bytes[(at + marker.Length)..]];
    }

    public static TheoryData<string> Poisons => ["invalid-utf8-c3-28", "invalid-utf8-ff", "lone-high-surrogate", "lone-low-surrogate"];

    private static byte[] Replacement(string poison) => poison switch
    {
        "invalid-utf8-c3-28" => [0x68, 0xC3, 0x28, 0x69],
        "invalid-utf8-ff" => [0xFF, 0xFE],
        "lone-high-surrogate" => "a\\ud800b"u8.ToArray(),
        _ => "\\udc00"u8.ToArray(),
    };

    [Theory]
    [MemberData(nameof(Poisons))]
    public async Task Chatwoot_message_content_that_cannot_be_read_is_a_400(string poison)
    {
        var h = new ChatwootHandlerHarness();
        var json = ChatwootHandlerHarness.FixtureJson("message_created.incoming_text");
        json["content"] = Marker;
        var body = Poison(json.ToJsonString(), Replacement(poison));
        var verdict = await Answer(() => h.SignedAsync(body));
        Assert.Equal(400, verdict);
    }

    [Theory]
    [MemberData(nameof(Poisons))]
    public async Task Chatwoot_contact_name_that_cannot_be_read_is_a_400(string poison)
    {
        var h = new ChatwootHandlerHarness();
        var json = ChatwootHandlerHarness.FixtureJson("message_created.incoming_text");
        json["sender"]!["name"] = Marker;
        var body = Poison(json.ToJsonString(), Replacement(poison));
        Assert.Equal(400, await Answer(() => h.SignedAsync(body)));
    }

    [Theory]
    [MemberData(nameof(Poisons))]
    public async Task Engage_content_body_that_cannot_be_read_is_a_400(string poison)
    {
        var envelope = EngagePayloads.Envelope(EngagePayloads.CustomerMessage(EngageWebhookTestKit.ThreadId, Marker));
        var body = Poison(envelope.ToJsonString(), Replacement(poison));
        var headers = new HeaderDictionary { [EngageWebhookHandler.SecretHeader] = EngageWebhookTestKit.Secret };
        var handler = new EngageWebhookHandler(NullLogger<EngageWebhookHandler>.Instance);
        var status = await Answer(() => handler.HandleAsync(new WebhookRequest("POST", QueryCollection.Empty, headers, body, DateTimeOffset.UtcNow), EngageWebhookTestKit.Tenant, CancellationToken.None).AsTask());
        Assert.Equal(400, status);
    }

    /// <summary>The verdict's status; an exception escaping the handler that is not a parse error is the endpoint's 500.</summary>
    private static async Task<int> Answer(Func<Task<WebhookVerdict>> handle)
    {
        try { return (await handle()).StatusCode; }
        catch (Exception ex) when (ex is not (System.Text.Json.JsonException or DecoderFallbackException)) { return 500; }
        catch { return 400; }
    }
}
