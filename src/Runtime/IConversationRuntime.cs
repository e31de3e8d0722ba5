namespace Conversations.Runtime;

/// <summary>
/// The silo's activations, as seen by the parts that feed them: the in-process cluster client and
/// the Postgres pump wake conversations; shard handoff and drain stop them.
/// </summary>
public interface IConversationRuntime
{
    /// <summary>True once the runtime has started and until it stops.</summary>
    bool IsRunning { get; }

    /// <summary>Something may be pending for this conversation: run a turn if it is owned here.</summary>
    void Wake(ConversationKey key);

    /// <summary>
    /// A sweep (polling fallback, recovery of gained shards) found pending events: run a turn unless
    /// one is running now. Unlike <see cref="Wake"/> it does not tell a turn in flight that newer
    /// events arrived (its own events are still pending while it runs); anything left after that
    /// turn is found by the next sweep.
    /// </summary>
    void Sweep(ConversationKey key) => Wake(key);

    /// <summary>
    /// Stops running turns for the conversations that <paramref name="belongs"/> selects: waits for
    /// turns in flight (and the sends of their committed actions) up to the token, then drops their
    /// activations. Used when shards leave this silo.
    /// </summary>
    Task DeactivateAsync(Func<ConversationKey, bool> belongs, CancellationToken cancellationToken);

    /// <summary>Live activations (for metrics and tests).</summary>
    int ActivationCount { get; }
}
