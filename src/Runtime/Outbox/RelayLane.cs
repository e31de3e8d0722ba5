namespace Conversations.Runtime.Outbox;

/// <summary>
/// The sending queue of one conversation: at most one sender at a time, so actions go out in order.
/// Same two-flag mailbox as an activation; a lane retires when its sender finds nothing to do.
/// </summary>
internal sealed class RelayLane(ConversationKey key, OutboxRelay relay) : IThreadPoolWorkItem
{
    private readonly Lock _lock = new();
    private bool _running;
    private bool _kicked;
    private bool _retired;
    private TaskCompletionSource? _idle;

    public ConversationKey Key { get; } = key;

    public enum KickResult { Scheduled, AlreadyRunning, Retired }

    public KickResult Kick()
    {
        lock (_lock)
        {
            if (_retired) return KickResult.Retired;
            _kicked = true;
            if (_running) return KickResult.AlreadyRunning;
            _running = true;
            return KickResult.Scheduled;
        }
    }

    /// <summary>False when there is nothing more to do: the lane is then retired.</summary>
    public bool TakeKick()
    {
        TaskCompletionSource? idle;
        lock (_lock)
        {
            if (_kicked) { _kicked = false; return true; }
            _running = false;
            _retired = true;
            idle = _idle;
            _idle = null;
        }
        idle?.TrySetResult();
        return false;
    }

    /// <summary>Completes when the current sender (if any) has finished.</summary>
    public Task WhenIdle()
    {
        lock (_lock)
        {
            if (!_running) return Task.CompletedTask;
            return (_idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }
    }

    public void Execute() => _ = relay.RunAsync(this);
}
