using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Conversations.Gateway.Cluster;
using Conversations.Gateway.Tests.Support;
using Conversations.Gateway.Webhooks;
using Conversations.Storage;
using Conversations.Storage.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Conversations.Gateway.Tests.Webhooks;

/// <summary>The gateway over the real Memory store: what a webhook appended is what the admin API reports.</summary>
public sealed class MemoryStoreWebhookTests
{
    private static readonly ConversationKey Key = new("acme", "5:9");

    private static Task<GatewayHost> StartAsync(MemoryConversationStore store, RecordingGrainFactory grains)
    {
        var settings = GatewayHost.DefaultSettings();
        settings["Conversations:Admin:Token"] = "t0ken";
        return GatewayHost.StartAsync(settings, s =>
        {
            s.AddSingleton<IConversationStore>(store);
            s.AddSingleton<IGrainAccess>(new TestGrainAccess(grains));
            s.RemoveAll<IWebhookHandler>();
            s.AddSingleton<IWebhookHandler>(new TestWebhookHandler(PlatformKind.Chatwoot));
        });
    }

    [Fact]
    public async Task Appended_events_and_redeliveries_show_as_pending_in_the_admin_view()
    {
        var store = new MemoryConversationStore(Options.Create(new StoreOptions()), TimeProvider.System);
        var grains = new RecordingGrainFactory();
        await using var host = await StartAsync(store, grains);

        using var first = await host.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("5:9", "m1", "hi"), ("5:9", "m2", "there")));
        using var redelivery = await host.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("5:9", "m2", "there")));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/conversations/acme/5:9");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "t0ken");
        using var admin = await host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        using (var ack = JsonDocument.Parse(await redelivery.Content.ReadAsStringAsync()))
        {
            Assert.Equal(0, ack.RootElement.GetProperty("accepted").GetInt32());
            Assert.Equal(1, ack.RootElement.GetProperty("duplicates").GetInt32());
        }
        // The store numbered the two events 1 and 2; the redelivery added nothing and woke nobody.
        Assert.Equal([(Key, 2L)], grains.Wakes);
        var stored = await store.ReadAfterAsync(Key, 0, 10, CancellationToken.None);
        Assert.Equal(["m1", "m2"], stored.Select(m => m.DedupeKey));

        // The grain has not run a turn yet (no state, cursor 0): both events are pending.
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        using var view = JsonDocument.Parse(await admin.Content.ReadAsStringAsync());
        Assert.Equal(2, view.RootElement.GetProperty("pendingEvents").GetInt32());
        Assert.Equal(0, view.RootElement.GetProperty("version").GetInt64());
        Assert.Equal(0, view.RootElement.GetProperty("cursor").GetInt64());
        Assert.Equal("none", view.RootElement.GetProperty("stateEncoding").GetString());
        Assert.Equal(0, view.RootElement.GetProperty("outbox").GetArrayLength());
        Assert.Equal([Key], grains.SnapshotReads);
    }

    [Fact]
    public async Task Events_a_turn_consumed_no_longer_count_as_pending()
    {
        var store = new MemoryConversationStore(Options.Create(new StoreOptions()), TimeProvider.System);
        var grains = new RecordingGrainFactory();
        await using var host = await StartAsync(store, grains);
        using var posted = await host.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("5:9", "m1", "a"), ("5:9", "m2", "b"), ("5:9", "m3", "c")));
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);

        // What a grain does after a turn over the first two events.
        await store.MarkConsumedAsync(Key, 2, CancellationToken.None);
        grains.SetSnapshot(Key, new ConversationSnapshot(true, 1, 2, "{\"mode\":\"Bot\"}"u8.ToArray(), []));
        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/conversations/acme/5:9");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "t0ken");
        using var admin = await host.Http.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        using var view = JsonDocument.Parse(await admin.Content.ReadAsStringAsync());
        Assert.Equal(1, view.RootElement.GetProperty("pendingEvents").GetInt32());
        Assert.Equal(1, view.RootElement.GetProperty("version").GetInt64());
        Assert.Equal(2, view.RootElement.GetProperty("cursor").GetInt64());
        Assert.Equal("Bot", view.RootElement.GetProperty("state").GetProperty("mode").GetString());
        Assert.Equal([(Key, 3L)], grains.Wakes);
    }
}
