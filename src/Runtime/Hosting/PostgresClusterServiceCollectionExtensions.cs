using Conversations.Runtime;
using Conversations.Runtime.Cluster;
using Conversations.Runtime.Store;
using Conversations.Runtime.Store.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class PostgresClusterServiceCollectionExtensions
{
    /// <summary>
    /// A silo in the PostgreSQL cluster: the Postgres store, schema at start-up, membership and shard
    /// leases (<see cref="IShardOwnership"/>), the coordinator, the LISTEN/poll wake pump, graceful
    /// drain on shutdown, and <see cref="PostgresClusterClient"/> for a mounted gateway. Called by
    /// <c>AddConversationsRuntime</c> when <c>Conversations:Store:Provider</c> is Postgres.
    /// </summary>
    public static IServiceCollection AddPostgresCluster(this IServiceCollection services, IConfiguration configuration)
    {
        AddPostgresStore(services, configuration);
        services.TryAddSingleton<ShardOwnershipTable>();
        services.AddSingleton<IShardOwnership>(sp => sp.GetRequiredService<ShardOwnershipTable>());
        services.TryAddSingleton(sp => new ListenDataSource(PostgresDataSourceFactory.CreateListener(sp.GetRequiredService<IOptions<PostgresStoreOptions>>().Value)));
        services.TryAddSingleton<SiloMembership>();
        services.TryAddSingleton<ClusterCoordinator>();
        services.TryAddSingleton<WakePump>();
        // Lifecycle order: started membership → coordinator → pump; stopping runs in reverse, so the
        // pump stops feeding, the coordinator resigns, then membership drains the shards.
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<SiloMembership>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<ClusterCoordinator>());
        services.AddSingleton<IHostedService>(sp => sp.GetRequiredService<WakePump>());
        return services;
    }

    /// <summary>
    /// A standalone gateway's runtime side: the Postgres store and <see cref="PostgresClusterClient"/>
    /// (appends durably and wakes the owning silo). Fails at start-up unless the provider is Postgres:
    /// a gateway with the Memory store would accept events no silo ever sees.
    /// </summary>
    public static IServiceCollection AddConversationsClient(this IServiceCollection services, IConfiguration configuration)
    {
        var provider = configuration["Conversations:Store:Provider"] ?? "Memory";
        if (!provider.Equals("Postgres", StringComparison.OrdinalIgnoreCase))
            throw new InvalidOperationException(
                $"A standalone gateway needs the shared PostgreSQL store: set Conversations:Store:Provider=Postgres and " +
                $"Conversations:Store:ConnectionString (the provider is '{provider}'; with Memory no silo would ever see the events). " +
                "To run everything in one process with the Memory store, run the silo (dotnet run --project src/Silo) instead.");
        AddPostgresStore(services, configuration);
        return services;
    }

    private static void AddPostgresStore(IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<PostgresStoreOptions>().Bind(configuration.GetSection(PostgresStoreOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgresStoreOptions>, Validator<PostgresStoreOptions>>());
        services.AddOptions<ClusterOptions>().Bind(configuration.GetSection(ClusterOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ClusterOptions>, Validator<ClusterOptions>>());

        services.TryAddSingleton(sp => PostgresDataSourceFactory.Create(sp.GetRequiredService<IOptions<PostgresStoreOptions>>().Value));
        services.TryAddSingleton(sp => new PostgresConversationStore(
            sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ShardCount));
        services.AddSingleton<IConversationStore>(sp => sp.GetRequiredService<PostgresConversationStore>());
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PostgresStoreOptions>>().Value;
            return new InboxAppendBatcher(sp.GetRequiredService<Npgsql.NpgsqlDataSource>(),
                sp.GetRequiredService<IOptions<ClusterOptions>>().Value.ShardCount, options.AppendBatchSize, options.AppendWriters);
        });
        services.TryAddSingleton<PostgresSchemaMigrator>();
        services.TryAddSingleton(sp => new ControlDataSource(PostgresDataSourceFactory.CreateControl(sp.GetRequiredService<IOptions<PostgresStoreOptions>>().Value)));
        services.TryAddSingleton(sp => new ClusterDatabase(sp.GetRequiredService<ControlDataSource>().DataSource));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PostgresStartup>());
        services.AddSingleton<IClusterClient, PostgresClusterClient>();
    }

    private sealed class Validator<T> : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var problems = options switch
            {
                PostgresStoreOptions store => store.Validate().ToList(),
                ClusterOptions cluster => cluster.Validate().ToList(),
                _ => [],
            };
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
