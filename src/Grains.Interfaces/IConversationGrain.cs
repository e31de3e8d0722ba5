using Orleans.Concurrency;

namespace Conversations;

/// <summary>
/// The Orleans grain that owns one conversation (key: <see cref="ConversationGrainKey"/>). Events
/// reach it through the durable inbox; a wake only says that there is something to read.
/// </summary>
public interface IConversationGrain : IGrainWithStringKey
{
    /// <summary>
    /// The inbox holds events up to <paramref name="upToSequence"/> (0: look anyway). One-way and
    /// at-most-once, like every Orleans message: a lost wake only delays, the re-drive finds the events.
    /// </summary>
    [OneWay]
    Task WakeAsync(long upToSequence);

    /// <summary>
    /// An operator's retry of a parked action: it goes back at the end of the pending actions with its
    /// attempts reset, is written with the state, leaves the parked list and is sent. False when this
    /// conversation has no parked action with that id.
    /// </summary>
    Task<bool> RetryParkedAsync(long actionId);

    /// <summary>The committed state, for the admin API. Interleaves: it never waits for a turn.</summary>
    [AlwaysInterleave]
    Task<ConversationSnapshot> GetSnapshotAsync();
}

/// <summary>A conversation's committed grain state as the admin API shows it; <see cref="HandoffRoute"/>: the route its last handoff took; <see cref="Countdowns"/> null: none.</summary>
[GenerateSerializer, Immutable]
public sealed record ConversationSnapshot(
    [property: Id(0)] bool Exists,
    [property: Id(1)] long Version,
    [property: Id(2)] long Cursor,
    [property: Id(3)] byte[] State,
    [property: Id(4)] IReadOnlyList<PendingActionView> Pending,
    [property: Id(5)] HandoffRouteView? HandoffRoute = null,
    [property: Id(6)] IReadOnlyList<CountdownView>? Countdowns = null);

/// <summary>
/// The Handoff:Routes entry a handoff applied, as it was then: its index, what it matched (<c>reason:customer_asked</c>,
/// <c>topic:billing</c> or <c>any</c>) and what it set (Chatwoot team, agent, labels, priority; Engage category).
/// </summary>
[GenerateSerializer, Immutable]
public sealed record HandoffRouteView(
    [property: Id(0)] int Index,
    [property: Id(1)] string Match,
    [property: Id(2)] string? TeamId,
    [property: Id(3)] string? AssigneeId,
    [property: Id(4)] IReadOnlyList<string> Labels,
    [property: Id(5)] string? Priority,
    [property: Id(6)] string? CategoryId,
    [property: Id(7)] DateTimeOffset? HandedOffAt);

/// <summary>Timed work the conversation will do unless something cancels it (an inactivity follow-up, a resolve), and when.</summary>
[GenerateSerializer, Immutable]
public sealed record CountdownView(
    [property: Id(0)] string Kind,
    [property: Id(1)] DateTimeOffset DueAt);

/// <summary>An action decided and written, not yet sent (or waiting for a retry).</summary>
[GenerateSerializer, Immutable]
public sealed record PendingActionView(
    [property: Id(0)] long Id,
    [property: Id(1)] string Kind,
    [property: Id(2)] int Attempts,
    [property: Id(3)] DateTimeOffset? NextAttemptAt,
    [property: Id(4)] string? LastError);
