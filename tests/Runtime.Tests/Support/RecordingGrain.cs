using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;

namespace Conversations.Runtime.Tests.Support;

/// <summary>
/// Records what the runtime does with a conversation: every event body it sees (in order), every
/// turn's batch, and overlapping turns. Its committed state counts the events seen, so a
/// reactivated grain shows whether the state survived. Can emit actions, throw, or hold a turn open.
/// </summary>
public sealed class GrainLog
{
    public ConcurrentDictionary<ConversationKey, List<string>> Seen { get; } = new();
    public ConcurrentDictionary<ConversationKey, List<int>> TurnSizes { get; } = new();
    public ConcurrentDictionary<ConversationKey, List<long>> CreatedWithCount { get; } = new();
    public ConcurrentDictionary<ConversationKey, int> Running { get; } = new();
    public ConcurrentDictionary<ConversationKey, bool> NewerPendingSeen { get; } = new();
    public List<string> NewerSeenBodies { get; } = [];
    public int Overlaps;
    public long TotalEvents;

    /// <summary>Actions a turn emits for each event body (default: none).</summary>
    public Func<string, IEnumerable<string>> ActionsFor { get; set; } = _ => [];

    /// <summary>Awaited inside every turn before it returns (hold a turn open).</summary>
    public Func<ConversationKey, Task> Gate { get; set; } = _ => Task.CompletedTask;

    /// <summary>Throw on a turn (consulted once per turn).</summary>
    public Func<ConversationKey, bool> Fail { get; set; } = _ => false;

    public List<string> EventsOf(ConversationKey key) { var list = Seen.GetOrAdd(key, _ => []); lock (list) return [.. list]; }
}

public sealed class RecordingGrainFactory(GrainLog log) : IConversationGrainFactory
{
    public IConversationGrain Create(ConversationKey key, ReadOnlyMemory<byte> committedState)
    {
        var count = committedState.IsEmpty ? 0 : JsonSerializer.Deserialize<long>(committedState.Span);
        var created = log.CreatedWithCount.GetOrAdd(key, _ => []);
        lock (created) created.Add(count);
        return new RecordingGrain(log, count);
    }
}

public sealed class RecordingGrain(GrainLog log, long count) : IConversationGrain
{
    private long _count = count;

    public async ValueTask<TurnResult> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        if (log.Running.AddOrUpdate(turn.Key, 1, (_, n) => n + 1) > 1) Interlocked.Increment(ref log.Overlaps);
        try
        {
            if (log.Fail(turn.Key)) throw new InvalidOperationException("grain failure for the test");
            await log.Gate(turn.Key);
            var newer = await turn.ReadNewerEventsAsync(cancellationToken);
            if (newer.Count > 0) log.NewerPendingSeen[turn.Key] = true;
            lock (log.NewerSeenBodies) log.NewerSeenBodies.AddRange(newer.Select(n => Encoding.UTF8.GetString(n.Body.Span)));
            var seen = log.Seen.GetOrAdd(turn.Key, _ => []);
            var actions = new List<NewOutboxMessage>();
            lock (seen)
            {
                foreach (var e in turn.Events)
                {
                    var body = Encoding.UTF8.GetString(e.Body.Span);
                    seen.Add(body);
                    actions.AddRange(log.ActionsFor(body).Select(a => new NewOutboxMessage("test.action", Encoding.UTF8.GetBytes(a))));
                }
            }
            var sizes = log.TurnSizes.GetOrAdd(turn.Key, _ => []);
            lock (sizes) sizes.Add(turn.Events.Count);
            _count += turn.Events.Count;
            Interlocked.Add(ref log.TotalEvents, turn.Events.Count);
            return new TurnResult(JsonSerializer.SerializeToUtf8Bytes(_count), actions);
        }
        finally
        {
            log.Running.AddOrUpdate(turn.Key, 0, (_, n) => n - 1);
        }
    }
}
