using Conversations.Grains.Conversation;
using Conversations.TestSupport.Network;
using Conversations.Gateway.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Conversations.Silo.Tests.Support;

/// <summary>
/// <see cref="SiloApp.Build"/> hosted in the test process on 127.0.0.1:0, with recording grains, a
/// recording sender and a one-event webhook handler in place of the real platforms.
/// </summary>
public sealed class InProcessSilo : IAsyncDisposable
{
    public const string AdminToken = "admin-token-for-tests";

    private InProcessSilo(WebApplication app, RecordingGrains grains, RecordingSender sender)
    {
        App = app;
        Grains = grains;
        Sender = sender;
        Http = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(30) };
        Http.DefaultRequestHeaders.Authorization = new("Bearer", AdminToken);
    }

    public WebApplication App { get; }
    public RecordingGrains Grains { get; }
    public RecordingSender Sender { get; }
    public HttpClient Http { get; }

    public static async Task<InProcessSilo> StartAsync(params string[] extraArgs)
    {
        var grains = new RecordingGrains();
        var sender = new RecordingSender();
        string[] args =
        [
            "--urls", "http://127.0.0.1:0",
            "--Conversations:Tenants:0:Id=acme",
            "--Conversations:Tenants:0:Platform=Chatwoot",
            "--Conversations:Tenants:0:UrlToken=url-token",
            $"--Conversations:Admin:Token={AdminToken}",
            "--Conversations:Silo:ShutdownTimeout=00:00:20",
            .. OrleansTestPorts.SiloArgs(),
            .. extraArgs,
        ];
        var app = SiloApp.Build(args, builder =>
        {
            builder.Logging.ClearProviders();
            builder.Services.AddSingleton<IConversationPolicyFactory>(grains);
            builder.Services.AddSingleton<IOutboxSender>(sender);
            builder.Services.RemoveAll<IWebhookHandler>();
            builder.Services.AddSingleton<IWebhookHandler, OneEventHandler>();
        });
        await app.StartAsync();
        return new InProcessSilo(app, grains, sender);
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
