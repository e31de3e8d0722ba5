using Conversations.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Configuration;

namespace Conversations.Gateway.Cluster;

/// <summary>
/// Builds the standalone gateway's Orleans client host: ADO.NET clustering on the store's database
/// (the membership table lists the silos' gateways), the <c>Orleans:ClusterId</c>/<c>ServiceId</c>
/// of the silos, and short timeouts so that a hung silo does not hold a call for long.
/// </summary>
public static class OrleansClientHost
{
    public static IHost Build(IConfiguration configuration, ILoggerFactory loggers)
    {
        var store = configuration.GetSection(StoreOptions.Section).Get<StoreOptions>() ?? new StoreOptions();
        var ids = OrleansIds.From(configuration);
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton(loggers);
        builder.Services.AddSingleton(typeof(ILogger<>), typeof(Logger<>));
        builder.UseOrleansClient(client =>
        {
            client.Configure<ClusterOptions>(o => { o.ClusterId = ids.ClusterId; o.ServiceId = ids.ServiceId; });
            client.UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.ConnectionString = store.ConnectionString; });
            client.Configure<GatewayOptions>(o => o.GatewayListRefreshPeriod = TimeSpan.FromSeconds(5));
            client.Configure<ClientMessagingOptions>(o => o.ResponseTimeout = TimeSpan.FromSeconds(10));
        });
        return builder.Build();
    }
}

/// <summary><c>Orleans:ClusterId</c> and <c>Orleans:ServiceId</c>, both <c>conversations</c> unless set.</summary>
public readonly record struct OrleansIds(string ClusterId, string ServiceId)
{
    public const string DefaultId = "conversations";

    public static OrleansIds From(IConfiguration configuration) =>
        new(NonEmpty(configuration["Orleans:ClusterId"]), NonEmpty(configuration["Orleans:ServiceId"]));

    private static string NonEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? DefaultId : value;
}
