using Conversations.TestSupport.Network;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Conversations.Grains.Platforms.Engage.Http;
using Conversations.Storage;
using Conversations.Silo.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Silo.Tests;

/// <summary>SiloApp's composition in-process: gateway, runtime and (test) grains wired together.</summary>
public sealed class SiloCompositionTests
{
    private static readonly ConversationKey Key = new("acme", "1:2");

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for {what}.");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_webhook_becomes_a_turn_whose_action_is_sent_and_shows_in_the_admin_api()
    {
        await using var silo = await InProcessSilo.StartAsync();

        using var ready = await silo.Http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        using var webhook = await silo.Http.PostAsJsonAsync("/webhooks/chatwoot/acme", new { conversation = "1:2", id = "m1" });
        Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);
        await WaitUntilAsync(() => silo.Sender.Sent.Any(s => s.Key == Key), "the turn's action to be sent");

        using var admin = await silo.Http.GetAsync("/admin/conversations/acme/1:2");
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        using var view = JsonDocument.Parse(await admin.Content.ReadAsStringAsync());
        var root = view.RootElement;
        // Two writes: the turn (cursor, state, the action pending), then the sent action leaving the list.
        Assert.Equal(2, root.GetProperty("version").GetInt64());
        Assert.Equal(1, root.GetProperty("cursor").GetInt64());
        Assert.Equal(0, root.GetProperty("pendingEvents").GetInt32());
        Assert.Equal("m1", root.GetProperty("state").GetProperty("events")[0].GetString());
        Assert.Empty(root.GetProperty("outbox").EnumerateArray());
        var sent = Assert.Single(silo.Sender.Sent);
        Assert.Equal("test.reply", sent.Kind);
    }

    [Fact]
    public async Task A_webhooks_conversation_appears_in_the_admin_conversation_list_and_the_tenant_count()
    {
        await using var silo = await InProcessSilo.StartAsync();

        using var webhook = await silo.Http.PostAsJsonAsync("/webhooks/chatwoot/acme", new { conversation = "1:2", id = "m1" });
        Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);
        await WaitUntilAsync(() => silo.Sender.Sent.Any(s => s.Key == Key), "the turn's action to be sent");

        // The grain writes the directory entry right after the turn's state, before it sends.
        using var list = await silo.Http.GetAsync("/admin/conversations?tenant=acme&mode=bot");
        Assert.Equal(HttpStatusCode.OK, list.StatusCode);
        using var body = JsonDocument.Parse(await list.Content.ReadAsStringAsync());
        Assert.Equal(1, body.RootElement.GetProperty("total").GetInt32());
        var entry = Assert.Single(body.RootElement.GetProperty("conversations").EnumerateArray());
        Assert.Equal(("acme", "1:2", "bot"), (entry.GetProperty("tenant").GetString(), entry.GetProperty("conversationId").GetString(), entry.GetProperty("mode").GetString()));

        using var human = await silo.Http.GetAsync("/admin/conversations?mode=human");
        using var humanBody = JsonDocument.Parse(await human.Content.ReadAsStringAsync());
        Assert.Equal(0, humanBody.RootElement.GetProperty("total").GetInt32());

        using var tenants = await silo.Http.GetAsync("/admin/tenants");
        using var tenantsBody = JsonDocument.Parse(await tenants.Content.ReadAsStringAsync());
        var tenant = Assert.Single(tenantsBody.RootElement.EnumerateArray());
        Assert.Equal(("acme", "Chatwoot", 1), (tenant.GetProperty("id").GetString(), tenant.GetProperty("platform").GetString(), tenant.GetProperty("conversations").GetInt32()));
    }

    [Fact]
    public async Task A_parked_action_retried_through_the_admin_api_reaches_the_platform_and_a_discarded_one_is_gone()
    {
        await using var silo = await InProcessSilo.StartAsync();
        var other = new ConversationKey("acme", "1:3");
        silo.Sender.Script.Enqueue(SendOutcome.Failed("HTTP 403"));
        silo.Sender.Script.Enqueue(SendOutcome.Failed("HTTP 403"));

        using (var first = await silo.Http.PostAsJsonAsync("/webhooks/chatwoot/acme", new { conversation = "1:2", id = "m1" }))
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        async Task<List<long>> ParkedIdsAsync(string conversation)
        {
            using var view = JsonDocument.Parse(await silo.Http.GetStringAsync("/admin/conversations/acme/" + conversation));
            return [.. view.RootElement.GetProperty("outbox").EnumerateArray().Where(a => a.GetProperty("status").GetString() == "parked").Select(a => a.GetProperty("id").GetInt64())];
        }
        async Task WaitParkedAsync(string conversation)
        {
            var deadline = DateTime.UtcNow.AddSeconds(15);
            while ((await ParkedIdsAsync(conversation)).Count == 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        }
        await WaitParkedAsync("1:2");
        using (var second = await silo.Http.PostAsJsonAsync("/webhooks/chatwoot/acme", new { conversation = "1:3", id = "m2" }))
            Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        await WaitParkedAsync("1:3");
        Assert.Equal([1L], await ParkedIdsAsync("1:2"));
        Assert.Equal([1L], await ParkedIdsAsync("1:3"));
        Assert.Empty(silo.Sender.Sent);

        using (var retry = await silo.Http.PostAsync("/admin/conversations/acme/1:2/parked/1/retry", null))
            Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        await WaitUntilAsync(() => silo.Sender.Sent.Any(s => s.Key == Key && s.Id == 1), "the retried action to be sent");
        using (var discard = await silo.Http.DeleteAsync("/admin/conversations/acme/1:3/parked/1"))
            Assert.Equal(HttpStatusCode.NoContent, discard.StatusCode);

        Assert.Empty(await ParkedIdsAsync("1:2"));
        Assert.Empty(await ParkedIdsAsync("1:3"));
        using (var gone = await silo.Http.PostAsync("/admin/conversations/acme/1:3/parked/1/retry", null))
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
        var sent = Assert.Single(silo.Sender.Sent);
        Assert.Equal((Key, 1L, "test.reply"), sent);
        Assert.DoesNotContain(silo.Sender.Sent, s => s.Key == other);
    }

    [Fact]
    public async Task The_silo_serves_the_operator_console_behind_the_admin_token()
    {
        await using var silo = await InProcessSilo.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = silo.Http.BaseAddress };

        using var refused = await anonymous.GetAsync("/admin");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.StartsWith("Basic", refused.Headers.WwwAuthenticate.ToString());

        using var basic = new HttpRequestMessage(HttpMethod.Get, "/admin");
        basic.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("ops:" + InProcessSilo.AdminToken)));
        using var page = await anonymous.SendAsync(basic);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Equal("text/html", page.Content.Headers.ContentType!.MediaType);
        Assert.Contains("Conversations console", await page.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Stopping_refuses_new_webhooks_and_finishes_the_turn_in_flight_and_its_sends()
    {
        var silo = await InProcessSilo.StartAsync();
        try
        {
            silo.Grains.HoldTurns = true;
            using (var first = await silo.Http.PostAsJsonAsync("/webhooks/chatwoot/acme", new { conversation = "1:2", id = "m1" }))
                Assert.Equal(HttpStatusCode.OK, first.StatusCode);
            await silo.Grains.TurnStarted.Task.WaitAsync(TimeSpan.FromSeconds(15));

            var stopping = silo.App.StopAsync();
            await WaitUntilAsync(() => silo.App.Lifetime.ApplicationStopping.IsCancellationRequested, "stopping to begin");

            // Either the listener is already closed or the gateway answers 500 (which platforms retry): never a 200 it might not process.
            try
            {
                using var late = await silo.Http.PostAsJsonAsync("/webhooks/chatwoot/acme", new { conversation = "1:3", id = "m2" });
                Assert.Equal(HttpStatusCode.InternalServerError, late.StatusCode);
            }
            catch (HttpRequestException) { }

            Assert.False(stopping.IsCompleted, "the stop must wait for the turn in flight");
            silo.Grains.ReleaseTurns();
            await stopping.WaitAsync(TimeSpan.FromSeconds(20));

            var sent = Assert.Single(silo.Sender.Sent);
            Assert.Equal(Key, sent.Key);
            // The turn committed and its action went out, so its event is consumed: nothing left to re-drive.
            var store = silo.App.Services.GetRequiredService<IConversationStore>();
            Assert.Empty(await store.FindUnconsumedAsync(TimeSpan.Zero, 10, CancellationToken.None));
            Assert.Equal(0, await store.CountAfterAsync(Key, 1, CancellationToken.None));
        }
        finally
        {
            silo.Grains.ReleaseTurns();
            await silo.DisposeAsync();
        }
    }

    [Fact]
    public async Task With_the_gateway_disabled_the_silo_serves_health_but_no_webhooks()
    {
        await using var silo = await InProcessSilo.StartAsync("--Conversations:Gateway:Enabled=false");

        using var health = await silo.Http.GetAsync("/healthz");
        using var webhook = await silo.Http.PostAsJsonAsync("/webhooks/chatwoot/acme", new { conversation = "1:2", id = "m1" });

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, webhook.StatusCode);
    }

    [Fact]
    public async Task Alone_the_engage_budget_is_the_whole_budget_and_the_share_comes_from_membership()
    {
        await using var alone = SiloApp.Build(["--urls", "http://127.0.0.1:0", .. OrleansTestPorts.SiloArgs()]);
        Assert.Equal(450, alone.Services.GetRequiredService<EngageRequestBudgets>().For("t", 450).RequestsPerMinute);

        // The share comes from Orleans' membership (one over the active silos; whole while none is known).
        Assert.IsType<Conversations.Grains.Hosting.MembershipClusterShare>(alone.Services.GetRequiredService<IClusterShare>());
    }

    [Fact]
    public async Task The_orleans_dashboard_is_served_behind_the_admin_token_and_a_browser_can_log_in()
    {
        await using var silo = await InProcessSilo.StartAsync();
        using var anonymous = new HttpClient { BaseAddress = silo.Http.BaseAddress };

        using var refused = await anonymous.GetAsync("/dashboard/");
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.StartsWith("Basic", refused.Headers.WwwAuthenticate.ToString());

        using var script = await anonymous.GetAsync("/dashboard/index.min.js");
        Assert.Equal(HttpStatusCode.Unauthorized, script.StatusCode);

        using var basic = new HttpRequestMessage(HttpMethod.Get, "/dashboard/");
        basic.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("ops:" + InProcessSilo.AdminToken)));
        using var page = await anonymous.SendAsync(basic);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("Orleans Dashboard", await page.Content.ReadAsStringAsync());

        using var wrong = new HttpRequestMessage(HttpMethod.Get, "/dashboard/");
        wrong.Headers.Authorization = new("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("ops:not-the-token")));
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.SendAsync(wrong)).StatusCode);

        using var bearer = await silo.Http.GetAsync("/dashboard/index.min.js");
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
    }

    [Fact]
    public async Task The_silo_gives_kestrel_and_the_webhook_deadline_the_configured_limits()
    {
        await using var silo = SiloApp.Build(["--urls", "http://127.0.0.1:0", .. OrleansTestPorts.SiloArgs(), .. Conversations.TestSupport.Hosting.GatewayLimitsSettings.Arguments]);

        Conversations.TestSupport.Hosting.GatewayLimitsSettings.AssertApplied(silo.Services);
    }

    [Fact]
    public async Task Without_an_admin_token_there_is_no_dashboard()
    {
        await using var alone = SiloApp.Build(["--urls", "http://127.0.0.1:0", .. OrleansTestPorts.SiloArgs()]);
        await alone.StartAsync();
        try
        {
            using var http = new HttpClient { BaseAddress = new Uri(alone.Urls.Single()) };
            using var response = await http.GetAsync("/dashboard/");
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        }
        finally
        {
            await alone.StopAsync();
        }
    }

    [Fact]
    public async Task Metrics_are_served_in_prometheus_text_with_the_projects_counters_and_aspnetcore_request_duration()
    {
        await using var silo = await InProcessSilo.StartAsync();
        using (var webhook = await silo.Http.PostAsJsonAsync("/webhooks/chatwoot/acme", new { conversation = "1:2", id = "m1" }))
            Assert.Equal(HttpStatusCode.OK, webhook.StatusCode);
        await WaitUntilAsync(() => silo.Sender.Sent.Any(s => s.Key == Key), "the turn's action to be sent");

        // The exporter caches a scrape briefly; the counters show once the turn is in.
        string text = "";
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (DateTime.UtcNow < deadline)
        {
            using var metrics = await silo.Http.GetAsync("/metrics");
            Assert.Equal(HttpStatusCode.OK, metrics.StatusCode);
            Assert.StartsWith("text/plain", metrics.Content.Headers.ContentType?.MediaType);
            text = await metrics.Content.ReadAsStringAsync();
            if (text.Contains("conversations_turns_total", StringComparison.Ordinal) && text.Contains("conversations_actions_sent_total", StringComparison.Ordinal)) break;
            await Task.Delay(200);
        }
        Assert.Contains("conversations_gateway_webhooks_total{", text);
        Assert.Contains("tenant=\"acme\"", text);
        Assert.Contains("conversations_turns_total", text);
        Assert.Contains("conversations_actions_sent_total", text);
        Assert.Contains("http_server_request_duration_seconds", text);
        Assert.DoesNotContain(InProcessSilo.AdminToken, text);
    }
}
