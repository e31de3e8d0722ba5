using System.Net;
using System.Text;
using System.Text.Json;
using Conversations.Gateway.Tests.Support;

namespace Conversations.Gateway.Tests.Webhooks;

public sealed class WebhookAppendTests
{
    private static readonly ConversationKey First = new("acme", "1:2");
    private static readonly ConversationKey Second = new("acme", "1:3");

    [Fact]
    public async Task Answers_200_only_after_the_append_has_returned_and_wakes_the_grain_after_it()
    {
        await using var harness = await Harness.StartAsync();
        harness.Store.Hold = true;

        var pending = harness.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("1:2", "m1", "hello")));
        await harness.Store.FirstAppendCommitted.Task.WaitAsync(TimeSpan.FromSeconds(10));
        var early = await Task.WhenAny(pending, Task.Delay(300));
        Assert.NotSame(pending, early);
        Assert.Empty(harness.Grains.Wakes);

        harness.Store.Release();
        using var response = await pending;

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(1, body.RootElement.GetProperty("accepted").GetInt32());
        Assert.Equal(0, body.RootElement.GetProperty("duplicates").GetInt32());
        var stored = Assert.Single(harness.Store.Inbox(First));
        Assert.Equal("m1", stored.DedupeKey);
        Assert.Equal(1, stored.Sequence);
        Assert.Equal("test.message", stored.Type);
        Assert.Equal("hello", Encoding.UTF8.GetString(stored.Body.Span));
        Assert.Equal([(First, 1L)], harness.Grains.Wakes);
        Assert.Equal(["conversation/acme/1:2"], harness.Grains.RequestedKeys);
    }

    [Fact]
    public async Task Deliveries_are_grouped_per_conversation_in_order_and_each_grain_is_woken_up_to_its_last_sequence()
    {
        await using var harness = await Harness.StartAsync();

        using var response = await harness.Http.PostAsync("/webhooks/chatwoot/acme",
            Harness.Events(("1:2", "a", "1"), ("1:3", "b", "2"), ("1:2", "c", "3"), ("1:3", "d", "4"), ("1:2", "e", "5")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(5, body.RootElement.GetProperty("accepted").GetInt32());
        Assert.Collection(harness.Store.Appends,
            call => { Assert.Equal(First, call.Key); Assert.Equal(["a", "c", "e"], call.DedupeKeys); },
            call => { Assert.Equal(Second, call.Key); Assert.Equal(["b", "d"], call.DedupeKeys); });
        Assert.Equal(["a", "c", "e"], harness.Store.Inbox(First).Select(m => m.DedupeKey));
        Assert.Equal([1L, 2L, 3L], harness.Store.Inbox(First).Select(m => m.Sequence));
        Assert.Equal([(First, 3L), (Second, 2L)], harness.Grains.Wakes);
        Assert.Equal(["conversation/acme/1:2", "conversation/acme/1:3"], harness.Grains.RequestedKeys);
    }

    [Fact]
    public async Task Redelivered_events_are_accepted_and_counted_as_duplicates_and_wake_only_for_new_events()
    {
        await using var harness = await Harness.StartAsync();
        using var first = await harness.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("1:2", "m1", "hi")));

        using var again = await harness.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("1:2", "m1", "hi"), ("1:2", "m2", "there")));
        using var onlyDuplicates = await harness.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("1:2", "m2", "there")));

        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        using (var body = JsonDocument.Parse(await again.Content.ReadAsStringAsync()))
        {
            Assert.Equal(1, body.RootElement.GetProperty("accepted").GetInt32());
            Assert.Equal(1, body.RootElement.GetProperty("duplicates").GetInt32());
        }
        Assert.Equal(HttpStatusCode.OK, onlyDuplicates.StatusCode);
        using (var body = JsonDocument.Parse(await onlyDuplicates.Content.ReadAsStringAsync()))
        {
            Assert.Equal(0, body.RootElement.GetProperty("accepted").GetInt32());
            Assert.Equal(1, body.RootElement.GetProperty("duplicates").GetInt32());
        }
        Assert.Equal(["m1", "m2"], harness.Store.Inbox(First).Select(m => m.DedupeKey));
        // Nothing new in the last delivery: no wake for it.
        Assert.Equal([(First, 1L), (First, 2L)], harness.Grains.Wakes);
    }

    [Fact]
    public async Task Store_failure_is_500_so_the_platform_retries_and_no_grain_is_woken()
    {
        await using var harness = await Harness.StartAsync();
        harness.Store.AppendFailure = new TimeoutException("store down");

        using var response = await harness.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("1:2", "m1", "hi")));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("could not store the event", body.RootElement.GetProperty("error").GetString());
        Assert.Equal(0, harness.Store.InboxCount());
        Assert.Empty(harness.Grains.Wakes);

        harness.Store.AppendFailure = null;
        using var retried = await harness.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("1:2", "m1", "hi")));
        Assert.Equal(HttpStatusCode.OK, retried.StatusCode);
        Assert.Single(harness.Store.Inbox(First));
        Assert.Equal([(First, 1L)], harness.Grains.Wakes);
    }

    [Fact]
    public async Task Without_a_silo_reached_the_events_are_stored_and_acknowledged_and_the_wake_is_skipped()
    {
        await using var harness = await Harness.StartAsync();
        harness.GrainAccess.Current = null;

        using var response = await harness.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("1:2", "m1", "hi"), ("1:3", "m2", "there")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal(2, body.RootElement.GetProperty("accepted").GetInt32());
        Assert.Equal(["m1"], harness.Store.Inbox(First).Select(m => m.DedupeKey));
        Assert.Equal(["m2"], harness.Store.Inbox(Second).Select(m => m.DedupeKey));
        Assert.Empty(harness.Grains.RequestedKeys);
        Assert.Empty(harness.Grains.Wakes);
    }

    [Theory]
    [InlineData(WakeFailure.Throws)]
    [InlineData(WakeFailure.Faulted)]
    [InlineData(WakeFailure.FaultsLater)]
    public async Task A_failed_wake_does_not_fail_the_webhook_because_the_events_are_stored(WakeFailure failure)
    {
        await using var harness = await Harness.StartAsync();
        harness.Grains.WakeFailure = failure;

        using var first = await harness.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("1:2", "m1", "hi"), ("1:3", "m2", "there")));
        using var second = await harness.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("1:2", "m3", "again")));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        using var body = JsonDocument.Parse(await first.Content.ReadAsStringAsync());
        Assert.Equal(2, body.RootElement.GetProperty("accepted").GetInt32());
        Assert.Equal(["m1", "m3"], harness.Store.Inbox(First).Select(m => m.DedupeKey));
        Assert.Equal(["m2"], harness.Store.Inbox(Second).Select(m => m.DedupeKey));
        // The second conversation was still woken after the first one's wake failed.
        Assert.Equal([(First, 1L), (Second, 1L), (First, 2L)], harness.Grains.Wakes);
    }

    [Fact]
    public async Task A_grain_factory_that_throws_does_not_fail_the_webhook()
    {
        await using var harness = await Harness.StartAsync();
        harness.Grains.GetGrainFailure = new ObjectDisposedException("IClusterClient");

        using var response = await harness.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("1:2", "m1", "hi")));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(["m1"], harness.Store.Inbox(First).Select(m => m.DedupeKey));
        Assert.Equal(["conversation/acme/1:2"], harness.Grains.RequestedKeys);
        Assert.Empty(harness.Grains.Wakes);
    }

    [Fact]
    public async Task Json_exception_escaping_the_handler_is_400_and_the_process_keeps_serving()
    {
        await using var harness = await Harness.StartAsync();

        using var malformed = await harness.Http.PostAsync("/webhooks/chatwoot/acme", new StringContent("{\"events\": [", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.BadRequest, malformed.StatusCode);
        using (var body = JsonDocument.Parse(await malformed.Content.ReadAsStringAsync()))
            Assert.Equal("malformed request", body.RootElement.GetProperty("error").GetString());
        Assert.Equal(0, harness.Store.InboxCount());

        using var next = await harness.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("1:2", "m1", "hi")));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Single(harness.Store.Inbox(First));
    }

    [Theory]
    [InlineData("bug")]
    [InlineData("timeout")]
    public async Task Unexpected_handler_failure_is_500_and_stores_nothing(string failure)
    {
        await using var harness = await Harness.StartAsync();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/chatwoot/acme") { Content = Harness.Events(("1:2", "m1", "hi")) };
        request.Headers.Add("X-Test-Throw", failure);

        using var response = await harness.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("could not process the event", body.RootElement.GetProperty("error").GetString());
        Assert.Equal(0, harness.Store.InboxCount());
        Assert.Empty(harness.Store.Appends);
        Assert.Empty(harness.Grains.Wakes);
    }

    [Fact]
    public async Task A_delivery_addressed_to_another_tenant_is_refused_and_not_stored()
    {
        await using var harness = await Harness.StartAsync();
        var body = "{\"events\":[{\"tenant\":\"globex\",\"conversation\":\"t1\",\"id\":\"m1\",\"text\":\"hi\"}]}";

        using var response = await harness.Http.PostAsync("/webhooks/chatwoot/acme", new StringContent(body, Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal(0, harness.Store.InboxCount());
        Assert.Empty(harness.Store.Appends);
        Assert.Empty(harness.Grains.Wakes);
    }
}
