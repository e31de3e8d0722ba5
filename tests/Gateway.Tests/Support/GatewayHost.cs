using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Conversations.Gateway.Tests.Support;

/// <summary>The gateway on a real Kestrel at 127.0.0.1 on a free port, composed the way a host composes it.</summary>
public sealed class GatewayHost : IAsyncDisposable
{
    private GatewayHost(WebApplication app, Uri address)
    {
        App = app;
        Address = address;
        Http = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(30) };
    }

    public WebApplication App { get; }
    public Uri Address { get; }
    public HttpClient Http { get; }

    /// <summary>Two tenants by default: <c>acme</c> (Chatwoot) and <c>globex</c> (Engage).</summary>
    public static Dictionary<string, string?> DefaultSettings() => new()
    {
        ["Conversations:Tenants:0:Id"] = "acme",
        ["Conversations:Tenants:0:Platform"] = "Chatwoot",
        ["Conversations:Tenants:0:UrlToken"] = "url-token",
        ["Conversations:Tenants:1:Id"] = "globex",
        ["Conversations:Tenants:1:Platform"] = "Engage",
        ["Conversations:Tenants:1:VerifyToken"] = "verify-token",
    };

    public static async Task<GatewayHost> StartAsync(Dictionary<string, string?> settings, Action<IServiceCollection> services)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Testing" });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");

        builder.Services.AddConversationsTenants(builder.Configuration);
        builder.Services.AddConversationsGateway(builder.Configuration);
        services(builder.Services);

        var app = builder.Build();
        app.UseConversationsGateway();
        await app.StartAsync();
        return new GatewayHost(app, new Uri(app.Urls.Single()));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
