using Conversations;
using Conversations.Runtime;
using Conversations.Runtime.Activations;
using Conversations.Runtime.Cluster;
using Conversations.Runtime.Diagnostics;
using Conversations.Runtime.Hosting;
using Conversations.Runtime.Outbox;
using Conversations.Runtime.Store;
using Conversations.Runtime.Store.Memory;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

public static class RuntimeServiceCollectionExtensions
{
    /// <summary>
    /// The silo's runtime: store (by <c>Conversations:Store:Provider</c>), activations, outbox relay,
    /// cluster client for a mounted gateway. Needs an <see cref="Conversations.IConversationGrainFactory"/>
    /// and an <see cref="Conversations.IOutboxSender"/> from the grains side.
    /// </summary>
    public static IServiceCollection AddConversationsRuntime(this IServiceCollection services, IConfiguration configuration)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.AddOptions<RuntimeOptions>().Bind(configuration.GetSection("Conversations:Runtime")).ValidateOnStart();
        services.AddSingleton<IValidateOptions<RuntimeOptions>, RuntimeOptionsValidator>();
        services.AddOptions<StoreOptions>().Bind(configuration.GetSection("Conversations:Store"));
        services.TryAddSingleton<RuntimeMetrics>();

        var provider = configuration["Conversations:Store:Provider"] ?? "Memory";
        if (provider.Equals("Memory", StringComparison.OrdinalIgnoreCase))
        {
            services.TryAddSingleton<IConversationStore, MemoryConversationStore>();
            services.TryAddSingleton<IShardOwnership, SingleNodeOwnership>();
        }
        else if (provider.Equals("Postgres", StringComparison.OrdinalIgnoreCase))
        {
            services.AddPostgresCluster(configuration);
        }
        else
        {
            throw new InvalidOperationException($"Conversations:Store:Provider '{provider}' is not supported; use Memory or Postgres.");
        }

        services.TryAddSingleton<IClusterShare, ShardShare>();
        services.TryAddSingleton<OutboxRelay>();
        services.TryAddSingleton<ConversationRuntime>();
        services.TryAddSingleton<IConversationRuntime>(sp => sp.GetRequiredService<ConversationRuntime>());
        services.TryAddSingleton<IClusterClient, InProcessClusterClient>();
        services.AddHostedService<RuntimeHostedService>();
        return services;
    }

    private sealed class RuntimeOptionsValidator : IValidateOptions<RuntimeOptions>
    {
        public ValidateOptionsResult Validate(string? name, RuntimeOptions options)
        {
            var problems = options.Validate().ToList();
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }
    }
}
