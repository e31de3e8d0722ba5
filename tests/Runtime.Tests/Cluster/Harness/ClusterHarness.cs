using System.Globalization;
using Conversations.Runtime.Cluster;
using Conversations.Runtime.Store;
using Conversations.Runtime.Store.Postgres;
using Conversations.TestSupport.Network;
using Conversations.TestSupport.Postgres;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Conversations.Runtime.Tests.Cluster.Harness;

/// <summary>
/// Several silo hosts in one test process on one fresh database (Orleans InProcTestCluster style).
/// Each silo reaches PostgreSQL through its own <see cref="TcpRelay"/> so a test can pause or cut
/// its network. Short test timings (TTL 1.5 s). A separate data source plays the gateway.
/// </summary>
public sealed class ClusterHarness : IAsyncDisposable
{
    public const int ShardCount = 64;

    private readonly List<TestSilo> _silos = [];
    private PostgresTestDatabase _database = null!;
    private int _next;

    private ClusterHarness() { }

    public ClusterLog Log { get; } = new();
    public NpgsqlDataSource DataSource { get; private set; } = null!;
    public PostgresConversationStore Store { get; private set; } = null!;
    public PostgresClusterClient Gateway { get; private set; } = null!;
    private InboxAppendBatcher Batcher { get; set; } = null!;
    public IReadOnlyList<TestSilo> Silos => _silos;

    /// <summary>Npgsql's client-side command timeout for silos started from now on (short, so a cut network fails fast).</summary>
    public int CommandTimeoutSeconds { get; set; } = 5;

    /// <summary>Test timings; a test may override any key before starting silos.</summary>
    public Dictionary<string, string?> Settings { get; } = new()
    {
        ["Conversations:Store:Provider"] = "Postgres",
        ["Conversations:Cluster:ShardCount"] = ShardCount.ToString(CultureInfo.InvariantCulture),
        // Short, but with room for a renew delayed by a saturated 2-core CI machine (trust = TTL - margin = 1.4 s).
        ["Conversations:Cluster:LeaseTtl"] = "00:00:02",
        ["Conversations:Cluster:RenewInterval"] = "00:00:00.4",
        ["Conversations:Cluster:LeaseMargin"] = "00:00:00.6",
        ["Conversations:Cluster:FailoverGrace"] = "00:00:00.5",
        ["Conversations:Cluster:CoordinatorInterval"] = "00:00:00.2",
        ["Conversations:Cluster:RebalanceInterval"] = "00:00:00.5",
        ["Conversations:Cluster:StableMembershipFor"] = "00:00:01",
        ["Conversations:Cluster:HandoffDeadline"] = "00:00:05",
        ["Conversations:Cluster:HandoffTurnTimeout"] = "00:00:02",
        ["Conversations:Cluster:DrainTimeout"] = "00:00:06",
        ["Conversations:Cluster:PollInterval"] = "00:00:00.25",
        ["Conversations:Runtime:Outbox:SweepInterval"] = "00:00:00.5",
        ["Conversations:Runtime:Outbox:InitialBackoff"] = "00:00:00.1",
        ["Conversations:Runtime:TurnRetryDelay"] = "00:00:00.1",
    };

    public static async Task<ClusterHarness> CreateAsync(string name, string? server = null)
    {
        var harness = new ClusterHarness();
        harness._database = await PostgresTestDatabase.CreateAsync(name, server ?? PostgresTestDatabase.RequireServer());
        harness.DataSource = PostgresDataSourceFactory.Create(new PostgresStoreOptions { ConnectionString = harness._database.ConnectionString });
        await new PostgresSchemaMigrator(harness.DataSource, NullLogger<PostgresSchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
        harness.Store = new PostgresConversationStore(harness.DataSource, ShardCount);
        harness.Batcher = new InboxAppendBatcher(harness.DataSource, ShardCount, 256, 4);
        harness.Gateway = new PostgresClusterClient(harness.Batcher);
        return harness;
    }

    public async Task<TestSilo> StartSiloAsync(TimeProvider? time = null, Action<IServiceCollection>? configure = null)
    {
        var name = $"silo{++_next}";
        var server = new NpgsqlConnectionStringBuilder(_database.ConnectionString);
        var relay = new TcpRelay(server.Host!, server.Port);
        var viaRelay = new NpgsqlConnectionStringBuilder(_database.ConnectionString)
        {
            Host = "127.0.0.1",
            Port = relay.Port,
            // A cut network must fail fast instead of waiting out the defaults.
            Timeout = 2,
            CommandTimeout = CommandTimeoutSeconds,
            CancellationTimeout = 500,
            // Every test class runs in parallel on one server: a silo needs far fewer sessions than the default 100.
            MaxPoolSize = 30,
        };
        var settings = new Dictionary<string, string?>(Settings)
        {
            ["Conversations:Store:ConnectionString"] = viaRelay.ConnectionString,
            ["Conversations:Cluster:HostName"] = name,
        };
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Logging.AddFilter(level => level >= LogLevel.Warning);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(15));
        if (time is not null) builder.Services.AddSingleton(time);
        builder.Services.AddSingleton<IConversationGrainFactory>(new CountingGrainFactory(name, Log));
        builder.Services.AddSingleton<IOutboxSender>(new RecordingSender(name, Log));
        builder.Services.AddConversationsRuntime(builder.Configuration);
        configure?.Invoke(builder.Services);
        var host = builder.Build();
        await host.StartAsync();
        var silo = new TestSilo(name, host, relay);
        _silos.Add(silo);
        return silo;
    }

    /// <summary>Sends numbered messages 1..count to the conversation, each appended durably (with its NOTIFY).</summary>
    public async Task SendAsync(ConversationKey key, int number)
    {
        var result = await Gateway.DeliverAsync(key, [new NewInboxMessage($"m-{number}", "test", CountingGrainFactory.Encode(number))], CancellationToken.None);
        Assert.Equal(1, result.Appended);
    }

    /// <summary>The committed processing history of a conversation.</summary>
    public async Task<int[]> HistoryAsync(ConversationKey key)
    {
        var record = await Store.ReadAsync(key, CancellationToken.None);
        return record is null ? [] : CountingGrainFactory.Decode(record.State.Span);
    }

    public async Task<T> ScalarAsync<T>(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        return (T)(await command.ExecuteScalarAsync())!;
    }

    public async Task ExecuteAsync(string sql)
    {
        await using var command = DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Shard → owner incarnation (0 = none) as the database has it.</summary>
    public async Task<Dictionary<int, long>> OwnersAsync()
    {
        var owners = new Dictionary<int, long>();
        await using var command = DataSource.CreateCommand("select shard_id, coalesce(owner, 0) from shard");
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) owners[reader.GetInt32(0)] = reader.GetInt64(1);
        return owners;
    }

    /// <summary>Polls until the condition holds; fails with the description after the timeout.</summary>
    public static async Task WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout, string description)
    {
        var started = TimeProvider.System.GetTimestamp();
        while (!await condition())
        {
            if (TimeProvider.System.GetElapsedTime(started) > timeout) Assert.Fail($"Timed out after {timeout} waiting for: {description}");
            await Task.Delay(50);
        }
    }

    public static Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string description) =>
        WaitUntilAsync(() => Task.FromResult(condition()), timeout, description);

    /// <summary>Waits until every shard is owned by one of the given silos.</summary>
    public Task WaitForAllShardsOwnedAsync(TimeSpan timeout, params TestSilo[] silos) =>
        WaitUntilAsync(async () =>
        {
            var live = silos.Select(s => s.Membership.Incarnation).ToHashSet();
            var owners = await OwnersAsync();
            return owners.Count == ShardCount && owners.Values.All(live.Contains)
                && silos.Sum(s => s.Ownership.Owned.Count) == ShardCount;
        }, timeout, "every shard owned by a live silo");

    public async ValueTask DisposeAsync()
    {
        foreach (var silo in _silos) await silo.DisposeAsync();
        await Batcher.DisposeAsync();
        await DataSource.DisposeAsync();
        await _database.DisposeAsync();
    }
}

public sealed class TestSilo(string name, IHost host, TcpRelay relay) : IAsyncDisposable
{
    private bool _stopped;

    public string Name { get; } = name;
    public IHost Host { get; } = host;
    public TcpRelay Relay { get; } = relay;
    public SiloMembership Membership => Host.Services.GetRequiredService<SiloMembership>();
    public ShardOwnershipTable Ownership => Host.Services.GetRequiredService<ShardOwnershipTable>();
    public ClusterCoordinator Coordinator => Host.Services.GetRequiredService<ClusterCoordinator>();
    public WakePump Pump => Host.Services.GetRequiredService<WakePump>();
    public IConversationRuntime Runtime => Host.Services.GetRequiredService<IConversationRuntime>();

    /// <summary>May run the conversation now (owned and the lease trusted).</summary>
    public bool Owns(ConversationKey key) => Ownership.FenceFor(key) is not null;

    /// <summary>The database gave this silo the conversation's shard (as of its last renew), whether or not its lease is trusted this instant.</summary>
    public bool Holds(ConversationKey key) => Ownership.Owned.ContainsKey(key.Shard(ClusterHarness.ShardCount));

    /// <summary>Graceful stop (SIGTERM): drain and leave.</summary>
    public async Task DrainAsync()
    {
        if (_stopped) return;
        _stopped = true;
        await Host.StopAsync();
    }

    /// <summary>kill -9 as the cluster sees it: the network is gone at once and nothing is released; the lease expires.</summary>
    public async Task KillAsync()
    {
        if (_stopped) return;
        _stopped = true;
        Relay.Cut();
        await Pump.ShutdownAsync();
        await Coordinator.ShutdownAsync(resign: false);
        await Membership.ShutdownLoopsAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopped) await KillAsync();
        try { await Host.StopAsync(new CancellationTokenSource(TimeSpan.FromSeconds(1)).Token); } catch (Exception) { }
        if (Host is IAsyncDisposable disposable) await disposable.DisposeAsync(); else Host.Dispose();
        await Relay.DisposeAsync();
    }
}
