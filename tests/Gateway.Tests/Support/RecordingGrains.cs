using Conversations.Gateway.Cluster;
using Orleans.Runtime;

namespace Conversations.Gateway.Tests.Support;

/// <summary>The gateway's way to the grains, switchable per test: null <see cref="Current"/> is a standalone gateway that reached no silo yet.</summary>
public sealed class TestGrainAccess(IGrainFactory? current) : IGrainAccess
{
    public IGrainFactory? Current { get; set; } = current;
}

/// <summary>How a <see cref="RecordingConversationGrain"/> answers a wake.</summary>
public enum WakeFailure
{
    None,
    /// <summary>The call throws before returning a task (a disposed client, a serialization problem).</summary>
    Throws,
    /// <summary>The call returns an already faulted task.</summary>
    Faulted,
    /// <summary>The call returns a task that faults a little later.</summary>
    FaultsLater,
}

/// <summary>
/// A grain factory that serves only <see cref="IConversationGrain"/> by string key (what
/// <see cref="ConversationGrainKey.GetConversation"/> asks for); every other member is not the gateway's business.
/// Records the keys asked for and every wake, in order; serves a scripted snapshot per conversation.
/// </summary>
public sealed class RecordingGrainFactory : IGrainFactory
{
    private readonly Lock _gate = new();
    private readonly List<string> _requestedKeys = [];
    private readonly List<(ConversationKey Key, long UpToSequence)> _wakes = [];
    private readonly Dictionary<ConversationKey, ConversationSnapshot> _snapshots = [];
    private readonly List<ConversationKey> _snapshotReads = [];
    private readonly List<(ConversationKey Key, long ActionId)> _retries = [];
    private readonly HashSet<(ConversationKey Key, long ActionId)> _retryable = [];

    /// <summary>Every parked-action retry asked of a grain, in order.</summary>
    public IReadOnlyList<(ConversationKey Key, long ActionId)> Retries { get { lock (_gate) return [.. _retries]; } }

    /// <summary>Makes the grain of <paramref name="key"/> answer true to a retry of <paramref name="actionId"/> (once).</summary>
    public void SetRetryable(ConversationKey key, long actionId)
    {
        lock (_gate) _retryable.Add((key, actionId));
    }

    internal bool RecordRetry(ConversationKey key, long actionId)
    {
        lock (_gate)
        {
            _retries.Add((key, actionId));
            return _retryable.Remove((key, actionId));
        }
    }

    /// <summary>What a conversation nobody scripted answers: the grain has never written state.</summary>
    public static readonly ConversationSnapshot Empty = new(false, 0, 0, [], []);

    public WakeFailure WakeFailure { get; set; }

    /// <summary>Thrown by <see cref="IGrainFactory.GetGrain{TGrainInterface}(string, string?)"/> when set.</summary>
    public Exception? GetGrainFailure { get; set; }

    /// <summary>The raw grain keys the gateway asked for, in order.</summary>
    public IReadOnlyList<string> RequestedKeys { get { lock (_gate) return [.. _requestedKeys]; } }

    public IReadOnlyList<(ConversationKey Key, long UpToSequence)> Wakes { get { lock (_gate) return [.. _wakes]; } }

    public IReadOnlyList<ConversationKey> SnapshotReads { get { lock (_gate) return [.. _snapshotReads]; } }

    public void SetSnapshot(ConversationKey key, ConversationSnapshot snapshot)
    {
        lock (_gate) _snapshots[key] = snapshot;
    }

    internal void RecordWake(ConversationKey key, long upToSequence)
    {
        lock (_gate) _wakes.Add((key, upToSequence));
    }

    internal ConversationSnapshot ReadSnapshot(ConversationKey key)
    {
        lock (_gate)
        {
            _snapshotReads.Add(key);
            return _snapshots.GetValueOrDefault(key, Empty);
        }
    }

    TGrainInterface IGrainFactory.GetGrain<TGrainInterface>(string primaryKey, string? grainClassNamePrefix)
    {
        lock (_gate) _requestedKeys.Add(primaryKey);
        if (GetGrainFailure is { } failure) throw failure;
        if (typeof(TGrainInterface) != typeof(IConversationGrain) || grainClassNamePrefix is not null)
            throw new NotSupportedException($"Only IConversationGrain by plain string key is served (asked for {typeof(TGrainInterface).Name}).");
        return (TGrainInterface)(object)new RecordingConversationGrain(this, ConversationGrainKey.Parse(primaryKey));
    }

    TGrainInterface IGrainFactory.GetGrain<TGrainInterface>(Guid primaryKey, string? grainClassNamePrefix) => throw new NotSupportedException();
    TGrainInterface IGrainFactory.GetGrain<TGrainInterface>(long primaryKey, string? grainClassNamePrefix) => throw new NotSupportedException();
    TGrainInterface IGrainFactory.GetGrain<TGrainInterface>(Guid primaryKey, string keyExtension, string? grainClassNamePrefix) => throw new NotSupportedException();
    TGrainInterface IGrainFactory.GetGrain<TGrainInterface>(long primaryKey, string keyExtension, string? grainClassNamePrefix) => throw new NotSupportedException();
    TGrainInterface IGrainFactory.GetGrain<TGrainInterface>(GrainId grainId) => throw new NotSupportedException();
    TGrainObserverInterface IGrainFactory.CreateObjectReference<TGrainObserverInterface>(IGrainObserver obj) => throw new NotSupportedException();
    void IGrainFactory.DeleteObjectReference<TGrainObserverInterface>(IGrainObserver obj) => throw new NotSupportedException();
    IGrain IGrainFactory.GetGrain(Type grainInterfaceType, Guid grainPrimaryKey) => throw new NotSupportedException();
    IGrain IGrainFactory.GetGrain(Type grainInterfaceType, long grainPrimaryKey) => throw new NotSupportedException();
    IGrain IGrainFactory.GetGrain(Type grainInterfaceType, string grainPrimaryKey) => throw new NotSupportedException();
    IGrain IGrainFactory.GetGrain(Type grainInterfaceType, Guid grainPrimaryKey, string keyExtension) => throw new NotSupportedException();
    IGrain IGrainFactory.GetGrain(Type grainInterfaceType, long grainPrimaryKey, string keyExtension) => throw new NotSupportedException();
    IAddressable IGrainFactory.GetGrain(GrainId grainId) => throw new NotSupportedException();
    IAddressable IGrainFactory.GetGrain(GrainId grainId, GrainInterfaceType interfaceType) => throw new NotSupportedException();
    IAddressable IGrainFactory.GetGrain(Type grainInterfaceType, IdSpan grainPrimaryKey, string grainClassNamePrefix) => throw new NotSupportedException();
    IAddressable IGrainFactory.GetGrain(Type grainInterfaceType, IdSpan grainPrimaryKey) => throw new NotSupportedException();
}

/// <summary>One conversation's grain reference as the gateway sees it: wakes go to the factory's record.</summary>
public sealed class RecordingConversationGrain(RecordingGrainFactory factory, ConversationKey key) : IConversationGrain
{
    public ConversationKey Key { get; } = key;

    public Task WakeAsync(long upToSequence)
    {
        factory.RecordWake(Key, upToSequence);
        return factory.WakeFailure switch
        {
            WakeFailure.Throws => throw new InvalidOperationException("client disposed"),
            WakeFailure.Faulted => Task.FromException(new TimeoutException("wake lost")),
            WakeFailure.FaultsLater => FaultLaterAsync(),
            _ => Task.CompletedTask,
        };
    }

    public Task<ConversationSnapshot> GetSnapshotAsync() => Task.FromResult(factory.ReadSnapshot(Key));

    public Task<bool> RetryParkedAsync(long actionId) => Task.FromResult(factory.RecordRetry(Key, actionId));

    private static async Task FaultLaterAsync()
    {
        await Task.Delay(20);
        throw new TimeoutException("wake lost later");
    }
}
