using System.Net.Http.Headers;
using System.Text.Json;
using Conversations.EndToEnd.Chatwoot;
using Conversations.TestSupport.Http;
using Microsoft.Playwright;
using static Microsoft.Playwright.Assertions;
using P = Conversations.EndToEnd.Chatwoot.ChatwootPayloads;

namespace Conversations.EndToEnd.Console;

/// <summary>
/// The operator console in a real browser (Debian's Chromium through Playwright) against the real
/// silo and a loopback Chatwoot that refuses the first reply, so it is parked. Screenshots go to
/// <c>.test-results/console/</c>.
/// </summary>
public sealed class ConsoleBrowserTests
{
    private const string Token = "console-admin-token-5f1c";
    private const string Question = "Where is my order 5531?";

    [Fact]
    public async Task An_operator_finds_the_webhooks_conversation_reads_it_retries_its_parked_reply_and_sees_the_charts()
    {
        var chromium = ConsoleBrowser.ChromiumPath();
        var artifacts = ConsoleBrowser.ArtifactsDirectory();
        await using var world = await ChatwootWorld.StartAsync(
            new()
            {
                ["Conversations:Admin:Token"] = Token,
                ["Conversations:Admin:Stats:Interval"] = "00:00:01",
                ["Ai:Kind"] = "OpenAi",
                ["Ai:Model"] = "test-model",
                ["Ai:ApiKey"] = "sk-test",
            },
            ai => FakeAi.EchoOpenAi(ai, TimeSpan.FromMilliseconds(120)));
        // The first reply is refused for good (401): parked without retries, for the operator to retry.
        world.Chatwoot.Enqueue(ChatwootWorld.Api("messages"), LoopbackResponse.Json("{\"error\":\"Bot is not authorized to access this account\"}", 401));
        await world.PostOkAsync(P.Incoming(Question));
        var refusedReply = Assert.Single(await world.WaitChatwootAsync("messages"));
        await WaitParkedAsync(world);
        // A second conversation asks for a human: a handoff for its chart.
        await world.PostOkAsync(P.Incoming("I want to talk to a human", conversation: 88));
        await world.WaitChatwootAsync("toggle_status", conversation: 88);

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await ConsoleBrowser.LaunchAsync(playwright, chromium);
        var console = new Uri(world.Http.BaseAddress!, "/admin").ToString();

        // Without the token the page is refused: the server answers 401 with the Basic challenge, and
        // headless Chromium, having no login to offer, ends the navigation there; no console.
        await using (var anonymous = await browser.NewContextAsync())
        {
            var page = await anonymous.NewPageAsync();
            var answers = new List<(int Status, string? Challenge)>();
            page.Response += (_, response) => { lock (answers) answers.Add((response.Status, response.Headers.GetValueOrDefault("www-authenticate"))); };
            var failure = await Assert.ThrowsAsync<PlaywrightException>(() => page.GotoAsync(console));
            Assert.Contains("ERR_INVALID_AUTH_CREDENTIALS", failure.Message);
            lock (answers)
            {
                var (status, challenge) = Assert.Single(answers);
                Assert.Equal(401, status);
                Assert.StartsWith("Basic", challenge);
            }
            Assert.DoesNotContain("Conversations console", await SettledContentAsync(page));
            await page.ScreenshotAsync(new() { Path = Path.Combine(artifacts, "01-without-token-refused.png") });
        }
        // A wrong token: Chromium tries it, gets the 401 again and shows that answer; no console either.
        await using (var wrong = await browser.NewContextAsync(new() { HttpCredentials = new() { Username = "ops", Password = "not-the-token" } }))
        {
            var page = await wrong.NewPageAsync();
            var refused = await page.GotoAsync(console);
            Assert.Equal(401, refused!.Status);
            Assert.DoesNotContain("Conversations console", await page.ContentAsync());
            await page.ScreenshotAsync(new() { Path = Path.Combine(artifacts, "01-wrong-token-401.png") });
        }

        // The browser's own Basic login: any user name, the token as the password.
        await using var context = await browser.NewContextAsync(new()
        {
            HttpCredentials = new() { Username = "ops", Password = Token },
            ViewportSize = new() { Width = 1400, Height = 1100 },
        });
        context.SetDefaultTimeout(20_000);
        var ops = await context.NewPageAsync();
        var errors = new List<string>();
        ops.PageError += (_, error) => { lock (errors) errors.Add(error); };
        var loaded = await ops.GotoAsync(console);
        Assert.Equal(200, loaded!.Status);

        // The conversation the webhook created is in the list.
        var row = ops.Locator("#conversation-rows tr[data-id='7:87']");
        await Expect(row).ToContainTextAsync("acme", new() { Timeout = 20_000 });
        await Expect(ops.Locator("#tenant-rows")).ToContainTextAsync("Chatwoot");
        await ops.ScreenshotAsync(new() { Path = Path.Combine(artifacts, "02-console.png"), FullPage = true });

        // Open it: the transcript and the parked reply with its Retry button.
        await row.ClickAsync();
        await Expect(ops.Locator("#transcript")).ToContainTextAsync(Question, new() { Timeout = 20_000 });
        var parked = ops.Locator("#outbox tr", new() { Has = ops.Locator("button.retry") });
        await Expect(parked).ToHaveCountAsync(1);
        await Expect(parked).ToContainTextAsync("parked");
        await Expect(parked).ToContainTextAsync("401");
        await ops.Locator("#conversation").ScreenshotAsync(new() { Path = Path.Combine(artifacts, "03-conversation-with-parked-reply.png") });

        // Retry: the fake Chatwoot now receives the same reply, and the action is no longer parked.
        await parked.Locator("button.retry").ClickAsync();
        var sends = await world.WaitChatwootAsync("messages", 2, timeout: TimeSpan.FromSeconds(20));
        Assert.Equal(refusedReply.Body, sends[1].Body);
        Assert.Contains("echo: " + Question, sends[1].Body);
        await Expect(ops.Locator("#status")).ToContainTextAsync("retried");
        await Expect(ops.Locator("button.retry")).ToHaveCountAsync(0);
        await ops.Locator("#conversation").ScreenshotAsync(new() { Path = Path.Combine(artifacts, "04-after-retry.png") });

        // The charts: inline SVG with this process' samples (one per second here).
        await ops.WaitForFunctionAsync("""
            () => {
              const max = (chart, series) => Number(document.querySelector(`#chart-${chart} .series[data-series="${series}"]`)?.getAttribute("data-max") || 0);
              const points = (chart, series) => Number(document.querySelector(`#chart-${chart} .series[data-series="${series}"]`)?.getAttribute("data-points") || 0);
              return max("webhooks", "all") > 0 && max("turns", "committed turns") > 0 && max("ai", "p50") >= 100
                && max("ai", "p99") >= max("ai", "p50") && max("handoffs", "customer_asked") >= 1
                && points("lag", "oldest unconsumed event") >= 2;
            }
            """, null, new() { Timeout = 20_000, PollingInterval = 250 });
        foreach (var chart in new[] { "webhooks", "turns", "ai", "handoffs", "lag" })
            Assert.True(await ops.Locator($"svg#chart-{chart} .series").CountAsync() > 0, $"chart {chart} has no series");
        Assert.True(await ops.Locator("svg#chart-handoffs g.series rect").CountAsync() > 0);
        Assert.NotEqual("", await ops.Locator("svg#chart-turns g.series path").GetAttributeAsync("d"));
        await Expect(ops.Locator("#charts-note")).ToContainTextAsync("inbox lag");
        await ops.Locator("#charts").ScreenshotAsync(new() { Path = Path.Combine(artifacts, "05-charts.png") });
        await ops.ScreenshotAsync(new() { Path = Path.Combine(artifacts, "06-console-after.png"), FullPage = true });

        lock (errors) Assert.Empty(errors);
    }

    /// <summary>The page's content; after a refused navigation Chromium may still be moving to its own error page.</summary>
    private static async Task<string> SettledContentAsync(IPage page)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await page.ContentAsync();
            }
            catch (PlaywrightException navigating) when (attempt < 20 && navigating.Message.Contains("navigating", StringComparison.Ordinal))
            {
                await page.WaitForLoadStateAsync();
                await Task.Delay(100);
            }
        }
    }

    private static async Task WaitParkedAsync(ChatwootWorld world)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/outbox/parked");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            using var response = await world.Http.SendAsync(request);
            if (JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetArrayLength() > 0) return;
            if (DateTime.UtcNow > deadline) Assert.Fail("Timed out after 20 s waiting for the refused reply to be parked");
            await Task.Delay(100);
        }
    }
}
