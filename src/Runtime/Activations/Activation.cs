namespace Conversations.Runtime.Activations;

/// <summary>
/// One live conversation in this silo: its grain, the committed version and fence it works from,
/// and a mailbox reduced to two flags. A wake sets <see cref="_wakePending"/>; the single runner
/// clears it before reading the inbox, so every event appended before a wake is seen by a turn
/// that starts after it, and no two turns ever overlap.
/// </summary>
internal sealed class Activation(ConversationKey key, ConversationRuntime runtime) : IThreadPoolWorkItem
{
    private readonly Lock _lock = new();
    private bool _running;
    private bool _wakePending;
    private bool _deactivated;

    public ConversationKey Key { get; } = key;

    // Touched only by the runner (one at a time).
    public IConversationGrain? Grain;
    public long Version;
    public long Fence;

    /// <summary>Last time a turn finished here (timestamp ticks), for idle collection and LRU.</summary>
    public long LastUsed;

    // Created only when someone waits for the runner to go idle (drain, shutdown), not per turn.
    private TaskCompletionSource? _idle;
    private Func<CancellationToken, ValueTask<IReadOnlyList<InboxMessage>>>? _readNewerEvents;

    /// <summary>The last inbox sequence the current turn holds (newer events are above it).</summary>
    public long LastReadSequence;

    /// <summary>Cached so a turn allocates no delegate.</summary>
    public Func<CancellationToken, ValueTask<IReadOnlyList<InboxMessage>>> ReadNewerEvents =>
        _readNewerEvents ??= cancellationToken => runtime.ReadNewerEventsAsync(this, cancellationToken);

    /// <summary>Runs the turns; queued on the thread pool without allocating.</summary>
    public void Execute() => _ = runtime.RunAsync(this);

    /// <summary>Completes when no turn runs (at once when idle now).</summary>
    public Task WhenIdle()
    {
        lock (_lock)
        {
            if (!_running) return Task.CompletedTask;
            return (_idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    public bool WakePending => Volatile.Read(ref _wakePending);

    public enum WakeResult { Scheduled, AlreadyRunning, Deactivated }

    /// <summary>Marks work pending; tells the caller whether it must start the runner.</summary>
    public WakeResult Wake()
    {
        lock (_lock)
        {
            if (_deactivated) return WakeResult.Deactivated;
            _wakePending = true;
            if (_running) return WakeResult.AlreadyRunning;
            _running = true;
            return WakeResult.Scheduled;
        }
    }

    /// <summary>Called by the runner before reading the inbox: false when there is nothing more to do (the runner stops).</summary>
    public bool TakeWake(long now)
    {
        TaskCompletionSource? idle = null;
        lock (_lock)
        {
            if (_wakePending) { _wakePending = false; return true; }
            _running = false;
            LastUsed = now;
            idle = _idle;
            _idle = null;
        }
        idle?.TrySetResult();
        return false;
    }

    /// <summary>Deactivates when no turn runs and nothing is pending; a later wake then creates a new activation.</summary>
    public bool TryDeactivate()
    {
        lock (_lock)
        {
            if (_running || _wakePending || _deactivated) return false;
            _deactivated = true;
            return true;
        }
    }

    /// <summary>Deactivates from inside the runner (lost ownership, fenced out). The runner stops right after.</summary>
    public void DeactivateFromRunner()
    {
        TaskCompletionSource? idle;
        lock (_lock)
        {
            _deactivated = true;
            _running = false;
            _wakePending = false;
            idle = _idle;
            _idle = null;
        }
        idle?.TrySetResult();
    }

    public bool IsRunning { get { lock (_lock) return _running; } }
}
