using Conversations.Gateway.Webhooks.Chatwoot;
using Microsoft.AspNetCore.Http;

namespace Conversations.Gateway.Tests.Chatwoot;

public sealed class ChatwootSignatureTests
{
    [Fact]
    public void Matches_the_reference_test_vector()
    {
        var body = ChatwootHandlerHarness.Fixture("message_created.incoming_text");
        Assert.Equal(3814, body.Length);
        Assert.Equal("sha256=73afe9906dd83d0c37bf18d077c69447fcb9c4ca7f42f665f65ed3855e42f287",
            ChatwootSignature.Sign("cwBotSecret7xQ2mN9pL4vR8kT3", 1773147732, body));
    }

    [Fact]
    public async Task A_valid_signature_is_accepted()
    {
        var h = new ChatwootHandlerHarness();
        var verdict = await h.SignedAsync(ChatwootHandlerHarness.Fixture("message_created.incoming_text"));
        Assert.Equal(200, verdict.StatusCode);
        Assert.Single(verdict.Deliveries);
    }

    [Fact]
    public async Task A_signature_in_upper_case_hex_is_accepted()
    {
        var h = new ChatwootHandlerHarness();
        var body = ChatwootHandlerHarness.Fixture("message_created.incoming_text");
        var signature = ChatwootSignature.Sign(ChatwootHandlerHarness.Secret, ChatwootHandlerHarness.Now.ToUnixTimeSeconds(), body).ToUpperInvariant().Replace("SHA256=", "sha256=");
        Assert.Equal(200, (await h.SignedAsync(body, signature: signature)).StatusCode);
    }

    [Fact]
    public async Task A_wrong_signature_is_401()
    {
        var h = new ChatwootHandlerHarness();
        var verdict = await h.SignedAsync(ChatwootHandlerHarness.Fixture("message_created.incoming_text"), signature: "sha256=" + new string('0', 64));
        Assert.Equal(401, verdict.StatusCode);
        Assert.Empty(verdict.Deliveries);
    }

    [Fact]
    public async Task A_body_changed_after_signing_is_401()
    {
        var h = new ChatwootHandlerHarness();
        var body = ChatwootHandlerHarness.Fixture("message_created.incoming_text");
        var signature = ChatwootSignature.Sign(ChatwootHandlerHarness.Secret, ChatwootHandlerHarness.Now.ToUnixTimeSeconds(), body);
        body[^2] = (byte)' ';
        Assert.Equal(401, (await h.SignedAsync(body, signature: signature)).StatusCode);
    }

    [Theory]
    [InlineData(-301)]
    [InlineData(301)]
    public async Task A_stale_timestamp_is_401(int skewSeconds)
    {
        var h = new ChatwootHandlerHarness();
        var verdict = await h.SignedAsync(ChatwootHandlerHarness.Fixture("message_created.incoming_text"), ChatwootHandlerHarness.Now.ToUnixTimeSeconds() + skewSeconds);
        Assert.Equal(401, verdict.StatusCode);
        Assert.Equal("stale timestamp", verdict.Error);
    }

    [Fact]
    public async Task A_timestamp_within_five_minutes_is_accepted()
    {
        var h = new ChatwootHandlerHarness();
        var verdict = await h.SignedAsync(ChatwootHandlerHarness.Fixture("message_created.incoming_text"), ChatwootHandlerHarness.Now.ToUnixTimeSeconds() - 299);
        Assert.Equal(200, verdict.StatusCode);
    }

    [Fact]
    public async Task Missing_signature_headers_are_401()
    {
        var h = new ChatwootHandlerHarness();
        var body = ChatwootHandlerHarness.Fixture("message_created.incoming_text");
        Assert.Equal(401, (await h.SendAsync(body)).StatusCode);
        var onlyTimestamp = new HeaderDictionary { [ChatwootSignature.TimestampHeader] = "1773147732" };
        Assert.Equal(401, (await h.SendAsync(body, onlyTimestamp)).StatusCode);
    }

    [Fact]
    public async Task Url_token_tenants_require_the_token()
    {
        var h = new ChatwootHandlerHarness(t => { t.WebhookSecret = null; t.UrlToken = "s3cret-token"; });
        var body = ChatwootHandlerHarness.Fixture("message_created.incoming_text");
        Assert.Equal(200, (await h.SendAsync(body, token: "s3cret-token")).StatusCode);
        Assert.Equal(401, (await h.SendAsync(body, token: "s3cret-tokeN")).StatusCode);
        Assert.Equal(401, (await h.SendAsync(body)).StatusCode);
    }

    [Fact]
    public void A_chatwoot_tenant_with_neither_proof_fails_validation()
    {
        var ex = Assert.Throws<InvalidOperationException>(() => new TenantCatalog([new TenantOptions { Id = "acme", Platform = PlatformKind.Chatwoot }]));
        Assert.Contains("WebhookSecret", ex.Message);
    }
}
