using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Conversations.Gateway.Tests.Support;
using Conversations.Gateway.Webhooks;
using Conversations.Storage;
using Conversations.Storage;
using Conversations.Storage.Memory;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Conversations.Gateway.Tests.Webhooks;

/// <summary>The gateway over the real Memory store: what a webhook appended is what the admin API reports.</summary>
public sealed class MemoryStoreWebhookTests
{
    [Fact]
    public async Task Appended_events_and_redeliveries_show_as_pending_in_the_admin_view()
    {
        var store = new MemoryConversationStore(Options.Create(new StoreOptions()), TimeProvider.System);
        var settings = GatewayHost.DefaultSettings();
        settings["Conversations:Admin:Token"] = "t0ken";
        await using var host = await GatewayHost.StartAsync(settings, s =>
        {
            s.AddSingleton<IConversationStore>(store);
            s.AddSingleton<IClusterClient>(new GatedClusterClient(store));
            s.RemoveAll<IWebhookHandler>();
            s.AddSingleton<IWebhookHandler>(new TestWebhookHandler(PlatformKind.Chatwoot));
        });

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
        Assert.Equal(HttpStatusCode.OK, admin.StatusCode);
        using var view = JsonDocument.Parse(await admin.Content.ReadAsStringAsync());
        Assert.Equal(2, view.RootElement.GetProperty("pendingEvents").GetInt32());
        Assert.Equal(0, view.RootElement.GetProperty("version").GetInt64());
    }
}
