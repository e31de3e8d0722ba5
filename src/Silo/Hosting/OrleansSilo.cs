using Conversations.Gateway.Cluster;
using Conversations.Grains;
using Conversations.Grains.Hosting;
using Conversations.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Configuration;
using Orleans.Dashboard;
using Orleans.Runtime.Hosting;
using System.Net;

namespace Conversations.Silo.Hosting;

/// <summary>
/// The Orleans side of the silo. Memory store: localhost clustering, in-process grain storage
/// (<see cref="ProcessMemoryGrainStorage"/>) and in-memory reminders (one process). Postgres store: ADO.NET clustering, grain storage and
/// reminders on the store's database (invariant Npgsql; the schema migration creates their tables
/// and query texts). Endpoints and ids come from the <c>Orleans</c> section.
/// </summary>
public static class OrleansSilo
{
    public const int DefaultSiloPort = 11111;
    public const int DefaultGatewayPort = 30000;

    public static void Configure(ISiloBuilder silo, IConfiguration configuration)
    {
        var store = configuration.GetSection(StoreOptions.Section).Get<StoreOptions>() ?? new StoreOptions();
        var runtime = configuration.GetSection(RuntimeOptions.Section).Get<RuntimeOptions>() ?? new RuntimeOptions();
        var ids = OrleansIds.From(configuration);
        var siloPort = Port(configuration, "Orleans:Endpoints:SiloPort", DefaultSiloPort);
        var gatewayPort = Port(configuration, "Orleans:Endpoints:GatewayPort", DefaultGatewayPort);
        var advertised = configuration["Orleans:Endpoints:AdvertisedIPAddress"];
        var listenOn = store.IsPostgres ? IPAddress.Any : IPAddress.Loopback;
        Conversations.Gateway.Hosting.BusyPorts.ThrowIfAnyBusy(
        [
            ("Orleans:Endpoints:SiloPort", new IPEndPoint(listenOn, siloPort)),
            ("Orleans:Endpoints:GatewayPort", new IPEndPoint(listenOn, gatewayPort)),
        ]);

        if (store.IsPostgres)
        {
            var connectionString = store.ConnectionString;
            silo.Configure<ClusterOptions>(o => { o.ClusterId = ids.ClusterId; o.ServiceId = ids.ServiceId; });
            silo.UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.ConnectionString = connectionString; });
            silo.AddAdoNetGrainStorage(ConversationGrain.StorageName, o => { o.Invariant = "Npgsql"; o.ConnectionString = connectionString; });
            silo.UseAdoNetReminderService(o => { o.Invariant = "Npgsql"; o.ConnectionString = connectionString; });
            IPAddress? address = null;
            if (!string.IsNullOrWhiteSpace(advertised) && !IPAddress.TryParse(advertised, out address))
                throw new InvalidOperationException($"Orleans:Endpoints:AdvertisedIPAddress '{advertised}' is not an IP address.");
            silo.Configure<EndpointOptions>(o =>
            {
                if (address is not null) o.AdvertisedIPAddress = address;
                o.SiloPort = siloPort;
                o.GatewayPort = gatewayPort;
            });
        }
        else
        {
            silo.UseLocalhostClustering(siloPort, gatewayPort, serviceId: ids.ServiceId, clusterId: ids.ClusterId);
            silo.Services.AddGrainStorage(ConversationGrain.StorageName, (sp, _) => ActivatorUtilities.CreateInstance<ProcessMemoryGrainStorage>(sp));
            silo.UseInMemoryReminderService();
        }

        // The dashboard is an admin page: it exists only with an admin token (it also costs statistics collection).
        if (!string.IsNullOrEmpty(configuration["Conversations:Admin:Token"])) silo.AddDashboard();

        // Kubernetes (deploy/kubernetes/): off unless Orleans:Kubernetes:Enabled=true, since outside a
        // cluster it fails to start. Orleans' Kubernetes hosting takes the silo name, advertised address
        // and cluster/service ids from the pod (POD_NAME, POD_IP, ORLEANS_CLUSTER_ID, ORLEANS_SERVICE_ID;
        // POD_NAMESPACE is required) and keeps pods and membership in step (a silo whose pod is gone is
        // declared dead). It complements the ADO.NET membership above; it does not replace it.
        if (configuration.GetValue<bool>("Orleans:Kubernetes:Enabled")) silo.UseKubernetesHosting();

        silo.Configure<ClusterMembershipOptions>(ShippedMembershipDefaults);
        // Operators may tune any membership option (Orleans:Membership:ProbeTimeout=00:00:05, ...).
        silo.Services.Configure<ClusterMembershipOptions>(configuration.GetSection("Orleans:Membership"));
        silo.Configure<GrainCollectionOptions>(o =>
        {
            o.CollectionAge = runtime.IdleTimeout;
            o.CollectionQuantum = TimeSpan.FromTicks(Math.Clamp(runtime.IdleTimeout.Ticks / 4, TimeSpan.TicksPerSecond, TimeSpan.TicksPerMinute));
        });
    }

    /// <summary>
    /// Failure detection tuned so that a killed silo is declared dead within seconds and a hung one
    /// (SIGSTOP) within about 10 s, instead of Orleans' 12 s and 60 s: probes every 2 s, two missed
    /// probes, one vote. The connection-liveness check suppresses votes for MaxProbeTimeout x
    /// NumMissedProbesLimit while a hung silo's connections stay open, hence the 4 s cap.
    /// </summary>
    public static void ShippedMembershipDefaults(ClusterMembershipOptions o)
    {
        o.ProbeTimeout = TimeSpan.FromSeconds(2);
        o.MaxProbeTimeout = TimeSpan.FromSeconds(4);
        o.NumMissedProbesLimit = 2;
        o.NumVotesForDeathDeclaration = 1;
        o.IAmAliveTablePublishTimeout = TimeSpan.FromSeconds(5);
        o.TableRefreshTimeout = TimeSpan.FromSeconds(5);
        o.DeathVoteExpirationTimeout = TimeSpan.FromSeconds(30);
    }

    private static int Port(IConfiguration configuration, string key, int fallback)
    {
        var raw = configuration[key];
        if (string.IsNullOrWhiteSpace(raw)) return fallback;
        return int.TryParse(raw, out var port) && port is > 0 and < 65536
            ? port
            : throw new InvalidOperationException($"{key} must be a port between 1 and 65535 (was '{raw}').");
    }
}
