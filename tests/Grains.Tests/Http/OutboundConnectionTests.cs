using System.Collections.Concurrent;
using Conversations.Grains.Ai;
using Conversations.Grains.Platforms.Chatwoot;
using Conversations.Grains.Platforms.Engage.Api;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Conversations.Grains.Tests.Http;

/// <summary>
/// A burst of outbound calls against one slow server: the platform clients stay within their
/// per-server connection cap (the rest wait), the AI client is uncapped unless configured.
/// The server is real Kestrel on loopback and counts the TCP connections it sees.
/// </summary>
public sealed class OutboundConnectionTests : IAsyncLifetime
{
    private WebApplication _server = null!;
    private Uri _address = null!;
    private readonly ConcurrentDictionary<string, byte> _connections = new();

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        _server = builder.Build();
        _server.Run(async context =>
        {
            _connections.TryAdd(context.Connection.Id, 0);
            await Task.Delay(150);
            context.Response.StatusCode = 200;
        });
        await _server.StartAsync();
        _address = new Uri(_server.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    [Theory]
    [InlineData(ChatwootClient.HttpClientName, 3, 3)]
    [InlineData(EngageApiClient.HttpClientName, 3, 3)]
    [InlineData(AiHttp.HttpClientName, 0, 20)]
    public async Task A_burst_uses_at_most_the_configured_connections_per_server(string client, int cap, int expectedConnections)
    {
        var settings = new Dictionary<string, string?> { ["Conversations:Platforms:Http:MaxConnectionsPerServer"] = cap.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton(new TenantCatalog([]));
        services.AddConversationsGrains(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        await using var provider = services.BuildServiceProvider();
        var http = provider.GetRequiredService<IHttpClientFactory>().CreateClient(client);

        var responses = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => http.SendAsync(Request())));

        Assert.All(responses, r => Assert.Equal(200, (int)r.StatusCode));
        Assert.Equal(expectedConnections, _connections.Count);
    }

    /// <summary>Engage requests carry their tenant's request budget; a large one keeps it out of the way.</summary>
    private HttpRequestMessage Request()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, _address);
        request.Options.Set(Conversations.Grains.Platforms.Engage.Http.EngageRequestTenant.Key, new Conversations.Grains.Platforms.Engage.Http.EngageRequestTenant("acme", 100_000, TimeSpan.FromSeconds(10)));
        return request;
    }

    [Fact]
    public async Task The_ai_client_honours_a_configured_cap()
    {
        var settings = new Dictionary<string, string?> { ["Conversations:Ai:Resilience:MaxConnectionsPerServer"] = "4" };
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton(new TenantCatalog([]));
        services.AddConversationsGrains(new ConfigurationBuilder().AddInMemoryCollection(settings).Build());
        await using var provider = services.BuildServiceProvider();
        var http = provider.GetRequiredService<IHttpClientFactory>().CreateClient(AiHttp.HttpClientName);

        await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => http.GetAsync(_address)));

        Assert.Equal(4, _connections.Count);
    }

    [Fact]
    public void A_negative_cap_fails_at_start_up()
    {
        var settings = new Dictionary<string, string?> { ["Conversations:Platforms:Http:MaxConnectionsPerServer"] = "-1" };
        var ex = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddConversationsGrains(new ConfigurationBuilder().AddInMemoryCollection(settings).Build()));
        Assert.Contains("MaxConnectionsPerServer", ex.Message);
    }
}
