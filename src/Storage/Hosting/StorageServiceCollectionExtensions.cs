using Conversations.Storage;
using Conversations.Storage.Memory;
using Conversations.Storage.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// The store chosen by <c>Conversations:Store:Provider</c>: Memory (one process) or Postgres (the
    /// schema, the Orleans tables among them, applied at start-up; appends group-committed).
    /// </summary>
    /// <exception cref="InvalidOperationException">The provider is unknown (the message names the key).</exception>
    public static IServiceCollection AddConversationsStorage(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<StoreOptions>().Bind(configuration.GetSection(StoreOptions.Section));
        var store = configuration.GetSection(StoreOptions.Section).Get<StoreOptions>() ?? new StoreOptions();
        if (store.IsMemory)
        {
            services.TryAddSingleton<IConversationStore, MemoryConversationStore>();
        }
        else if (store.IsPostgres)
        {
            AddPostgres(services, configuration);
        }
        else
        {
            throw new InvalidOperationException($"{StoreOptions.Section}:Provider '{store.Provider}' is not supported; use Memory or Postgres.");
        }
        return services;
    }

    private static void AddPostgres(IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<PostgresStoreOptions>().Bind(configuration.GetSection(PostgresStoreOptions.SectionName)).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PostgresStoreOptions>, PostgresStoreOptionsValidator>());
        services.TryAddSingleton(sp => PostgresDataSourceFactory.Create(sp.GetRequiredService<IOptions<PostgresStoreOptions>>().Value));
        services.TryAddSingleton(sp =>
        {
            var options = sp.GetRequiredService<IOptions<PostgresStoreOptions>>().Value;
            return new InboxAppendBatcher(sp.GetRequiredService<Npgsql.NpgsqlDataSource>(), options.AppendBatchSize, options.AppendWriters);
        });
        services.TryAddSingleton<PostgresConversationStore>();
        services.TryAddSingleton<IConversationStore>(sp => sp.GetRequiredService<PostgresConversationStore>());
        services.TryAddSingleton<PostgresSchemaMigrator>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PostgresStartup>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, PostgresRetention>());
    }

    private sealed class PostgresStoreOptionsValidator : IValidateOptions<PostgresStoreOptions>
    {
        public ValidateOptionsResult Validate(string? name, PostgresStoreOptions options)
        {
            var problems = options.Validate().ToList();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
