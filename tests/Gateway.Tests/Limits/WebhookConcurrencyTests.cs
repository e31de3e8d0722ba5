using System.Net;
using Conversations.Gateway.Tests.Chatwoot;
using Conversations.Gateway.Tests.Support;

namespace Conversations.Gateway.Tests.Limits;

/// <summary>Issue 13.1: webhook requests in progress are bounded per tenant and in all (ASP.NET Core's concurrency limiter); over the bound, 429.</summary>
public sealed class WebhookConcurrencyTests
{
    /// <summary>
    /// A request that takes a slot and keeps it: a plausible head asking to continue, then half a body once the
    /// server asked for it (Kestrel sends 100 Continue when the endpoint starts reading: it holds its slot by then).
    /// </summary>
    private static async Task<RawHttpConnection> HoldSlotAsync(GatewayHost host, string pathAndQuery, bool signed)
    {
        var connection = await RawHttpConnection.OpenAsync(host.Address);
        await connection.SendHeadAsync(pathAndQuery, 10_000, [.. signed ? PlatformHost.PlausibleSignature() : [], new("Expect", "100-continue")]);
        Assert.Equal(100, await connection.ReadStatusAsync(TimeSpan.FromSeconds(10)));
        await connection.SendAsync(new byte[5_000], CancellationToken.None);
        return connection;
    }

    [Fact]
    public async Task Over_a_tenants_concurrent_webhooks_the_next_gets_429_while_other_tenants_are_served()
    {
        var (host, store) = await PlatformHost.StartAsync(s =>
        {
            s["Conversations:Gateway:Limits:MaxConcurrentWebhooksPerTenant"] = "2";
            s["Conversations:Gateway:Limits:MaxQueuedWebhooksPerTenant"] = "0";
            s["Conversations:Gateway:Limits:WebhookDeadline"] = "00:00:03";
        });
        await using var _ = host;
        await using var first = await HoldSlotAsync(host, "/webhooks/chatwoot/acme", signed: true);
        await using var second = await HoldSlotAsync(host, "/webhooks/chatwoot/acme", signed: true);
        var body = ChatwootHandlerHarness.Fixture("message_created.incoming_text");

        using var refused = await host.Http.SendAsync(PlatformHost.SignedChatwoot(body));
        using var otherTenant = await host.Http.SendAsync(PlatformHost.EngagePost(PlatformHost.EngageContent()));

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("3", refused.Headers.RetryAfter?.ToString());
        Assert.Contains("too many webhook requests", await refused.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, otherTenant.StatusCode);
        Assert.Equal([new ConversationKey("globex", "65f0a1b2c3d4e5f601234567")], await store.FindUnconsumedAsync(TimeSpan.Zero, 10, CancellationToken.None));

        // The deadline frees the slots: the tenant is served again.
        Assert.Equal(408, await first.ReadStatusAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(408, await second.ReadStatusAsync(TimeSpan.FromSeconds(10)));
        using var later = await host.Http.SendAsync(PlatformHost.SignedChatwoot(body));
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
    }

    [Fact]
    public async Task Over_the_concurrent_webhooks_of_all_tenants_any_tenant_gets_429()
    {
        var (host, store) = await PlatformHost.StartAsync(s =>
        {
            s["Conversations:Gateway:Limits:MaxConcurrentWebhooks"] = "2";
            s["Conversations:Gateway:Limits:MaxQueuedWebhooks"] = "0";
            s["Conversations:Gateway:Limits:WebhookDeadline"] = "00:00:05";
        });
        await using var _ = host;
        await using var acme = await HoldSlotAsync(host, "/webhooks/chatwoot/acme", signed: true);
        await using var urly = await HoldSlotAsync(host, "/webhooks/chatwoot/urly?token=" + PlatformHost.UrlToken, signed: false);

        using var refused = await host.Http.SendAsync(PlatformHost.EngagePost(PlatformHost.EngageContent()));

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Empty(await store.FindUnconsumedAsync(TimeSpan.Zero, 10, CancellationToken.None));
    }

    [Fact]
    public async Task A_webhook_still_queued_for_a_slot_at_its_deadline_gets_503_never_an_empty_200()
    {
        await using var harness = await Harness.StartAsync(s =>
        {
            s["Conversations:Gateway:Limits:MaxConcurrentWebhooksPerTenant"] = "1";
            s["Conversations:Gateway:Limits:MaxQueuedWebhooksPerTenant"] = "4";
            s["Conversations:Gateway:Limits:WebhookDeadline"] = "00:00:01";
        });
        // The first webhook keeps the tenant's one slot in its append (past the deadline, which ends at authentication).
        harness.Store.Hold = true;
        var holder = harness.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("1:2", "m1", "first")));
        await harness.Store.FirstAppendCommitted.Task.WaitAsync(TimeSpan.FromSeconds(10));

        // The next waits for the slot in the queue, and its deadline passes there.
        using var queued = await harness.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("1:2", "m2", "second")));
        harness.Store.Release();
        using var held = await holder;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, queued.StatusCode);
        Assert.Contains("not served within the deadline", await queued.Content.ReadAsStringAsync());
        Assert.Equal(HttpStatusCode.OK, held.StatusCode);
        Assert.Equal(["m1"], harness.Store.Appends.SelectMany(a => a.DedupeKeys));
    }
}
