using Conversations.Gateway.Cluster;
using Conversations.Storage;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Runtime;

namespace Conversations.Silo.Hosting;

/// <summary>
/// Once the silo has started, one line per part of what it runs: the store, each tenant (id,
/// platform, AI engine, how its webhooks authenticate), the admin API, the listen addresses and the
/// Orleans cluster. Never a secret: tokens only show as present or not.
/// </summary>
public sealed partial class StartupSummary(
    IConfiguration configuration,
    TenantCatalog tenants,
    IServer server,
    ILocalSiloDetails silo,
    IHostApplicationLifetime lifetime,
    ILogger<StartupSummary> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        lifetime.ApplicationStarted.Register(Log);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private void Log()
    {
        var store = configuration.GetSection(StoreOptions.Section).Get<StoreOptions>() ?? new StoreOptions();
        LogStore(store.IsPostgres ? "Postgres (inbox and Orleans clustering, grain state, reminders in one database)" : "Memory (one process, nothing survives a restart)");
        if (tenants.All.Count == 0) LogNoTenants();
        foreach (var tenant in tenants.All.OrderBy(t => t.Id, StringComparer.Ordinal))
            LogTenant(tenant.Id, tenant.Platform, tenant.Ai.Kind.ToString(), AuthMode(tenant));
        LogAdmin(string.IsNullOrEmpty(configuration["Conversations:Admin:Token"]) ? "off (no Conversations:Admin:Token)" : "on (/admin, /dashboard/)");
        var addresses = server.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        LogListening(string.Join(", ", addresses));
        var ids = OrleansIds.From(configuration);
        LogOrleans(ids.ClusterId, ids.ServiceId, silo.SiloAddress.ToString(), silo.GatewayAddress?.ToString() ?? "none");
    }

    private static string AuthMode(TenantOptions tenant) => tenant.Platform switch
    {
        PlatformKind.Chatwoot when !string.IsNullOrEmpty(tenant.WebhookSecret) => "signed (X-Chatwoot-Signature)",
        PlatformKind.Chatwoot => "URL token",
        _ => "X-Dimelo-Secret" + (string.IsNullOrEmpty(tenant.WebhookSecret) ? " not set" : ""),
    };

    [LoggerMessage(EventId = 4001, Level = LogLevel.Information, Message = "Store: {Store}")]
    private partial void LogStore(string store);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Tenants: none configured (Conversations:Tenants); every webhook gets 404")]
    private partial void LogNoTenants();

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Tenant {Tenant}: {Platform}, AI {AiKind}, webhooks authenticated by {Auth}")]
    private partial void LogTenant(string tenant, PlatformKind platform, string aiKind, string auth);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Information, Message = "Admin: {Admin}")]
    private partial void LogAdmin(string admin);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "Listening on: {Addresses}")]
    private partial void LogListening(string addresses);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Information, Message = "Orleans: cluster {ClusterId}, service {ServiceId}, silo {Silo}, gateway {Gateway}")]
    private partial void LogOrleans(string clusterId, string serviceId, string silo, string gateway);
}
