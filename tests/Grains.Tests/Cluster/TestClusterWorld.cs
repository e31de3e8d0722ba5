using System.Collections.Concurrent;
using System.Text;
using Conversations.Grains.Conversation;
using Conversations.Grains.Hosting;
using Conversations.Storage;
using Conversations.Storage.Memory;
using Conversations.Storage.Postgres;
using Conversations.TestSupport.Postgres;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Orleans.Runtime.Hosting;
using Orleans.TestingHost;

namespace Conversations.Grains.Tests.Cluster;

/// <summary>
/// An Orleans TestingHost cluster of real <see cref="ConversationGrain"/>s on 2-3 silos in this
/// process, sharing what a database would share: the inbox (a Memory store), the grain storage and
/// the reminders (Orleans' in-memory reminder table, or ADO.NET on the test database).
/// The policy records every event it folds and which silo ran the turn; the sender records every
/// action it sends; both can be held or scripted to fail.
/// </summary>
public sealed class TestClusterWorld : IAsyncDisposable
{
    // The TestingHost builds silos from delegates; these let them reach this world.
    private static readonly ConcurrentDictionary<string, TestClusterWorld> Worlds = new();

    private readonly string _id = Guid.NewGuid().ToString("N");

    private PostgresTestDatabase? _database;
    private NpgsqlDataSource? _dataSource;
    private InboxAppendBatcher? _batcher;

    /// <summary>The shared inbox: a Memory store, or the Postgres store on a fresh test database.</summary>
    public IConversationStore Store { get; private set; } = new MemoryConversationStore(Options.Create(new StoreOptions()), TimeProvider.System);

    /// <summary>True when grain state and inbox live in PostgreSQL (the ADO.NET providers).</summary>
    public bool OnPostgres => _database is not null;
    public SharedGrainStorage GrainStorage { get; } = new();
    public RecordingPolicies Policies { get; } = new();
    public RecordingSender Sender { get; } = new();
    public InProcessTestCluster Cluster { get; private set; } = null!;

    /// <summary>The store the silos use: <see cref="Store"/> behind a switch that makes directory writes fail.</summary>
    public DirectoryFaultStore Faults { get; private set; } = null!;

    public static async Task<TestClusterWorld> StartAsync(short silos = 3, bool postgres = false)
    {
        var world = new TestClusterWorld();
        if (postgres)
        {
            world._database = await PostgresTestDatabase.CreateAsync("orleanstc");
            world._dataSource = PostgresDataSourceFactory.Create(new PostgresStoreOptions { ConnectionString = world._database.ConnectionString });
            await new PostgresSchemaMigrator(world._dataSource, NullLogger<PostgresSchemaMigrator>.Instance).MigrateAsync(CancellationToken.None);
            world._batcher = new InboxAppendBatcher(world._dataSource, 256, 4);
            world.Store = new PostgresConversationStore(world._dataSource, world._batcher);
        }
        world.Faults = new DirectoryFaultStore(world.Store);
        Worlds[world._id] = world;
        var id = world._id;
        var builder = new InProcessTestClusterBuilder(silos);
        builder.ConfigureSilo((options, silo) =>
        {
            var w = Worlds[id];
            var name = options.SiloName;
            silo.Services.AddSingleton<IConversationStore>(w.Faults);
            silo.Services.AddSingleton<IConversationPolicyFactory>(w.Policies.For(name));
            silo.Services.AddSingleton<IOutboxSender>(w.Sender.For(name));
            silo.Services.AddSingleton<ActionSender>();
            silo.Services.AddSingleton(TimeProvider.System);
            silo.Services.AddMetrics();
            silo.Services.AddSingleton<ConversationMetrics>();
            silo.Services.Configure<RuntimeOptions>(o =>
            {
                o.Redrive.Interval = TimeSpan.FromMilliseconds(200);
                o.Redrive.After = TimeSpan.FromMilliseconds(500);
                o.Outbox.InitialBackoff = TimeSpan.FromMilliseconds(50);
                o.Outbox.MaxBackoff = TimeSpan.FromMilliseconds(200);
                o.Outbox.MaxAttempts = 4;
            });
            silo.Services.AddConversationsSiloServices();
            // The product's failure detection (src/Silo ships the same): a killed silo is declared dead within seconds, even on a loaded CI machine.
            silo.Configure<Orleans.Configuration.ClusterMembershipOptions>(o =>
            {
                o.ProbeTimeout = TimeSpan.FromSeconds(2);
                o.NumMissedProbesLimit = 2;
                o.NumVotesForDeathDeclaration = 1;
            });
            // Reminders tick at most once a period: 5 s here (the product keeps Orleans' minute), so recoveries that wait for a tick are quick.
            silo.Configure<Orleans.Hosting.ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(5));
            if (w._database is { } db)
            {
                silo.AddAdoNetGrainStorage(ConversationGrain.StorageName, o => { o.Invariant = "Npgsql"; o.ConnectionString = db.ConnectionString + ";Maximum Pool Size=20"; });
                silo.UseAdoNetReminderService(o => { o.Invariant = "Npgsql"; o.ConnectionString = db.ConnectionString + ";Maximum Pool Size=10"; });
            }
            else
            {
                silo.Services.AddGrainStorage(ConversationGrain.StorageName, (_, _) => w.GrainStorage);
                silo.UseInMemoryReminderService();
            }
        });
        world.Cluster = builder.Build();
        await world.Cluster.DeployAsync();
        return world;
    }

    public IGrainFactory Grains => Cluster.Client;

    /// <summary>Postgres: bumps the stored grain state's version, as another activation's write would.</summary>
    public async Task BumpStoredVersionAsync(ConversationKey key)
    {
        await using var command = _dataSource!.CreateCommand("update orleans_storage set version = version + 1 where grain_id_extension = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = ConversationGrainKey.Format(key) });
        Assert.Equal(1, await command.ExecuteNonQueryAsync());
    }

    /// <summary>What the gateway does: append, then a one-way wake with the last sequence.</summary>
    public async Task<AppendResult> DeliverAsync(ConversationKey key, params string[] texts)
    {
        var result = await AppendAsync(key, texts);
        if (result.Appended > 0) await Grains.GetConversation(key).WakeAsync(result.LastSequence);
        return result;
    }

    /// <summary>An append whose wake is lost (O4).</summary>
    public ValueTask<AppendResult> AppendAsync(ConversationKey key, params string[] texts) =>
        Store.AppendAsync(key, [.. texts.Select(t => new NewInboxMessage("m-" + t, "test", Encoding.UTF8.GetBytes(t)))], CancellationToken.None);

    public static async Task WaitUntilAsync(Func<bool> condition, string what, int seconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(seconds);
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out waiting for {what}.");
            await Task.Delay(20);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Policies.ReleaseAll();
        Sender.ReleaseAll();
        try { await Cluster.StopAllSilosAsync(); } catch (Exception) { /* a killed cluster may not stop cleanly */ }
        await Cluster.DisposeAsync();
        Worlds.TryRemove(_id, out _);
        if (_batcher is not null) await _batcher.DisposeAsync();
        if (_dataSource is not null) await _dataSource.DisposeAsync();
        if (_database is not null) await _database.DisposeAsync();
    }
}

/// <summary>
/// The policy of the cluster tests: every event's text is appended to the state (the exact
/// processing history), and each turn decides one reply per event. A hold stops turns in the
/// middle, as a slow AI would, until released. An event <c>idle:{followUpMs}:{resolveMs}</c> arms
/// a countdown (kept in the state as <c>@kind unix-ms</c> lines, cancelled by any later event):
/// when it falls due the step is recorded in <see cref="Steps"/> and sent as a reply
/// <c>follow-up</c> or <c>resolve</c>.
/// </summary>
public sealed class RecordingPolicies
{
    private volatile TaskCompletionSource? _hold;

    public ConcurrentQueue<(string Silo, ConversationKey Key, int Events)> Turns { get; } = new();
    public ConcurrentQueue<(string Silo, ConversationKey Key, string Step)> Steps { get; } = new();
    public TaskCompletionSource TurnHeld { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The silo whose turn was held.</summary>
    public string? HeldOn { get; private set; }

    public void HoldNextTurn()
    {
        TurnHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void ReleaseAll() => _hold?.TrySetResult();

    public IConversationPolicyFactory For(string silo) => new Factory(this, silo);

    public static string[] History(ReadOnlySpan<byte> state) =>
        state.IsEmpty ? [] : [.. Encoding.UTF8.GetString(state).Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith('@'))];

    private sealed class Factory(RecordingPolicies owner, string silo) : IConversationPolicyFactory
    {
        public IConversationPolicy Create(ConversationKey key, ReadOnlyMemory<byte> committedState) => new Policy(owner, silo, key, committedState.ToArray());
    }

    private sealed class Policy(RecordingPolicies owner, string silo, ConversationKey key, byte[] state) : IConversationPolicy
    {
        public async ValueTask<TurnResult> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken)
        {
            if (owner._hold is { } hold)
            {
                owner._hold = null;
                owner.HeldOn = silo;
                owner.TurnHeld.TrySetResult();
                await hold.Task;
            }
            var texts = turn.Events.Select(e => Encoding.UTF8.GetString(e.Body.Span)).ToList();
            var lines = Lines().Where(l => !l.StartsWith('@')).Concat(texts).ToList();
            if (texts[^1].Split(':') is ["idle", var followUp, var resolve])
            {
                var now = DateTimeOffset.UtcNow;
                lines.Add($"@follow-up {(now + TimeSpan.FromMilliseconds(int.Parse(followUp))).ToUnixTimeMilliseconds()}");
                lines.Add($"@resolve {(now + TimeSpan.FromMilliseconds(int.Parse(resolve))).ToUnixTimeMilliseconds()}");
            }
            state = Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n")));
            owner.Turns.Enqueue((silo, key, turn.Events.Count));
            return new TurnResult(state, [.. texts.Select(t => new NewOutboxMessage("test.reply", Encoding.UTF8.GetBytes(t)))],
                new ConversationSummary("bot", null, turn.Events[^1].ReceivedAt)) { Countdowns = Countdowns(lines) };
        }

        public ValueTask<TurnResult> RunDueAsync(CancellationToken cancellationToken)
        {
            var lines = Lines();
            var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            // One step at a time, in order, each cleared in the state committed with its action.
            var due = lines.FirstOrDefault(l => l.StartsWith('@'));
            var actions = new List<NewOutboxMessage>();
            if (due is not null && long.Parse(due.Split(' ')[1]) <= now)
            {
                var step = due.Split(' ')[0][1..];
                lines.Remove(due);
                lines.Add(step);
                owner.Steps.Enqueue((silo, key, step));
                actions.Add(new NewOutboxMessage("test.reply", Encoding.UTF8.GetBytes(step)));
            }
            state = Encoding.UTF8.GetBytes(string.Concat(lines.Select(l => l + "\n")));
            return ValueTask.FromResult(new TurnResult(state, actions) { Countdowns = Countdowns(lines) });
        }

        private List<string> Lines() => [.. Encoding.UTF8.GetString(state).Split('\n', StringSplitOptions.RemoveEmptyEntries)];

        private static List<Countdown> Countdowns(IEnumerable<string> lines) =>
            [.. lines.Where(l => l.StartsWith('@')).Select(l => l.Split(' ')).Select(p => new Countdown(p[0][1..], DateTimeOffset.FromUnixTimeMilliseconds(long.Parse(p[1]))))];
    }
}

/// <summary>Records every action sent, by silo; can hold the next send, or answer scripted outcomes first.</summary>
public sealed class RecordingSender
{
    private volatile TaskCompletionSource? _hold;

    public ConcurrentQueue<(string Silo, ConversationKey Key, long Id, string Text)> Sent { get; } = new();
    public ConcurrentQueue<SendOutcome> Script { get; } = new();
    public TaskCompletionSource SendHeld { get; private set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>The silo whose send was held.</summary>
    public string? HeldOn { get; private set; }

    public void HoldNextSend()
    {
        SendHeld = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void ReleaseAll() => _hold?.TrySetResult();

    public IReadOnlyList<string> TextsOf(ConversationKey key) => [.. Sent.Where(s => s.Key == key).Select(s => s.Text)];

    public IOutboxSender For(string silo) => new Sender(this, silo);

    private sealed class Sender(RecordingSender owner, string silo) : IOutboxSender
    {
        public async ValueTask<SendOutcome> SendAsync(ConversationKey key, OutboxMessage message, CancellationToken cancellationToken)
        {
            if (owner._hold is { } hold)
            {
                owner._hold = null;
                owner.HeldOn = silo;
                owner.SendHeld.TrySetResult();
                await hold.Task;
            }
            if (owner.Script.TryDequeue(out var scripted) && scripted.Kind != SendResult.Sent) return scripted;
            owner.Sent.Enqueue((silo, key, message.Id, Encoding.UTF8.GetString(message.Payload.Span)));
            return SendOutcome.Sent;
        }
    }
}
