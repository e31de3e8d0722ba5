using Conversations.Runtime.Cluster;
using Conversations.Runtime.Store;
using Conversations.Runtime.Store.Postgres;
using Conversations.Runtime.Tests.Cluster.Harness;
using Conversations.TestSupport.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Conversations.Runtime.Tests.Cluster;

public sealed class PostgresCompositionTests
{
    private static IConfiguration Config(params (string Key, string? Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, v.Value))).Build();

    [Fact]
    public void Standalone_gateway_refuses_the_memory_store_with_a_clear_message()
    {
        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddConversationsClient(Config()));
        Assert.Contains("Conversations:Store:Provider=Postgres", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Postgres_provider_composes_the_cluster()
    {
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton<IConversationGrainFactory>(new CountingGrainFactory("x", new ClusterLog()));
        services.AddSingleton<IOutboxSender>(new RecordingSender("x", new ClusterLog()));
        services.AddConversationsRuntime(Config(("Conversations:Store:Provider", "Postgres"), ("Conversations:Store:ConnectionString", "Host=127.0.0.1;Database=none")));
        await using var provider = services.BuildServiceProvider();

        Assert.IsType<PostgresClusterClient>(provider.GetRequiredService<IClusterClient>());
        Assert.IsType<ShardOwnershipTable>(provider.GetRequiredService<IShardOwnership>());
        Assert.IsType<PostgresConversationStore>(provider.GetRequiredService<IConversationStore>());
        Assert.Equal(1 / 1024.0, provider.GetRequiredService<IClusterShare>().Fraction); // owns nothing yet: one shard's worth
        Assert.Contains(provider.GetServices<IHostedService>(), s => s is SiloMembership);
        Assert.Contains(provider.GetServices<IHostedService>(), s => s is WakePump);
        // Owning nothing is an empty set, never null (null would mean every conversation).
        Assert.Empty(provider.GetRequiredService<IShardOwnership>().OwnedShards!.Shards);
    }

    [Fact]
    public async Task Missing_connection_string_and_bad_timings_fail_at_start_up()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection([
            KeyValuePair.Create<string, string?>("Conversations:Store:Provider", "Postgres"),
            KeyValuePair.Create<string, string?>("Conversations:Cluster:RenewInterval", "00:00:10"),
        ]);
        builder.Services.AddConversationsClient(builder.Configuration);
        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("ConnectionString", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gateway_with_another_shard_count_than_the_cluster_fails_at_start_up()
    {
        await using var database = await PostgresTestDatabase.CreateAsync("shards");
        async Task<IHost> StartAsync(int shards)
        {
            var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
            builder.Configuration.AddInMemoryCollection([
                KeyValuePair.Create<string, string?>("Conversations:Store:Provider", "Postgres"),
                KeyValuePair.Create<string, string?>("Conversations:Store:ConnectionString", database.ConnectionString),
                KeyValuePair.Create<string, string?>("Conversations:Cluster:ShardCount", shards.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            ]);
            builder.Services.AddConversationsClient(builder.Configuration);
            var host = builder.Build();
            await host.StartAsync();
            return host;
        }

        using (var first = await StartAsync(128))
        {
            var delivered = await first.Services.GetRequiredService<IClusterClient>().DeliverAsync(
                new ConversationKey("acme", "1"), [new NewInboxMessage("m", "t", new byte[] { 1 })], CancellationToken.None);
            Assert.Equal(1, delivered.Appended);
            await first.StopAsync();
        }
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => StartAsync(64));
        Assert.Contains("created with 128 shards", error.Message, StringComparison.Ordinal);
    }
}
