using System.Diagnostics;
using Conversations.Gateway.Tests.Support;

namespace Conversations.Gateway.Tests.Limits;

/// <summary>Issue 13.1: a webhook gets Limits:WebhookDeadline to arrive whole and be authenticated; then it is answered and its connection closed.</summary>
public sealed class WebhookDeadlineTests
{
    [Fact]
    public async Task A_body_that_stalls_after_a_plausible_head_gets_408_at_the_deadline_and_its_connection_closed()
    {
        var (host, store) = await PlatformHost.StartAsync(s => s["Conversations:Gateway:Limits:WebhookDeadline"] = "00:00:01");
        await using var _ = host;
        await using var connection = await RawHttpConnection.OpenAsync(host.Address);
        var clock = Stopwatch.StartNew();

        // Kestrel's body rate is an average: 500 KB at once keeps it satisfied for minutes. Only the deadline ends this.
        await connection.SendHeadAsync("/webhooks/chatwoot/acme", 1_000_000, PlatformHost.PlausibleSignature());
        await connection.SendAsync(new byte[500_000], CancellationToken.None);
        var status = await connection.ReadStatusAsync(TimeSpan.FromSeconds(6));
        var answeredAfter = clock.Elapsed;
        var closed = await connection.WaitClosedAsync(TimeSpan.FromSeconds(9));
        var closedAfter = clock.Elapsed;

        Assert.Equal(408, status);
        Assert.InRange(answeredAfter, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(4));
        // A body read cut short is not drained: Kestrel closes right after the answer.
        Assert.True(closed && closedAfter < answeredAfter + TimeSpan.FromSeconds(2), $"closed: {closed}, {closedAfter.TotalSeconds:F1} s after the head");
        Assert.Contains("Connection: close", connection.Received, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("body not received within the deadline", connection.Received);
        Assert.Empty(await store.FindUnconsumedAsync(TimeSpan.Zero, 10, CancellationToken.None));
    }

    [Fact]
    public async Task A_webhook_whose_processing_outlasts_the_deadline_gets_500_which_the_platform_retries()
    {
        await using var harness = await Harness.StartAsync(s => s["Conversations:Gateway:Limits:WebhookDeadline"] = "00:00:01");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/chatwoot/acme") { Content = Harness.Events(("1:2", "m1", "hi")) };
        request.Headers.Add("X-Test-Wait", "20000");
        var clock = Stopwatch.StartNew();

        using var response = await harness.Http.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), $"answered after {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Contains("not processed within the deadline", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, harness.Store.InboxCount());
    }

    [Fact]
    public async Task A_handler_that_finishes_its_deliveries_after_the_deadline_gets_500_and_nothing_is_stored()
    {
        await using var harness = await Harness.StartAsync(s => s["Conversations:Gateway:Limits:WebhookDeadline"] = "00:00:01");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/chatwoot/acme") { Content = Harness.Events(("1:2", "m1", "hi")) };
        request.Headers.Add("X-Test-Wait-Uncancellable", "1500");

        using var response = await harness.Http.SendAsync(request);

        Assert.Equal(System.Net.HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Contains("not processed within the deadline", await response.Content.ReadAsStringAsync());
        Assert.Equal(1, harness.Handler.Calls); // its deliveries were made, and came too late
        Assert.Equal(0, harness.Store.InboxCount());
    }

    [Fact]
    public async Task Once_authenticated_a_webhook_is_not_cut_by_the_deadline_while_its_append_commits()
    {
        await using var harness = await Harness.StartAsync(s => s["Conversations:Gateway:Limits:WebhookDeadline"] = "00:00:01");
        harness.Store.Hold = true;

        var posting = harness.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("1:2", "m1", "hi")));
        await harness.Store.FirstAppendCommitted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        harness.Store.Release();
        using var response = await posting;

        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("\"accepted\":1", await response.Content.ReadAsStringAsync());
    }
}
