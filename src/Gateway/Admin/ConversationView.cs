using System.Text.Json;
using Conversations.Gateway.Hosting;
using Conversations.Storage;

namespace Conversations.Gateway.Admin;

/// <summary>
/// The admin view of one conversation, read through its grain. <see cref="State"/> is the policy's
/// state embedded as JSON when it is JSON (the grains store JSON, transcript included), else a
/// base64 string; <see cref="StateEncoding"/> says which. <see cref="Cursor"/> is the last inbox
/// sequence a turn consumed; <see cref="PendingEvents"/> are the events after it.
/// <see cref="Outbox"/> lists the pending actions, then the parked ones. <see cref="HandoffRoute"/> is the
/// Handoff:Routes entry the last handoff took (null: none matched, or no handoff yet). <see cref="Countdowns"/> is the
/// timed work the conversation will do unless something cancels it (inactivity follow-up, resolve), soonest first.
/// </summary>
public sealed record ConversationView(
    string Tenant,
    string ConversationId,
    long Version,
    long Cursor,
    int PendingEvents,
    string StateEncoding,
    JsonElement? State,
    IReadOnlyList<OutboxEntryView> Outbox,
    HandoffRouteView? HandoffRoute,
    IReadOnlyList<CountdownView> Countdowns)
{
    public static ConversationView From(ConversationKey key, ConversationSnapshot snapshot, int pendingEvents, IReadOnlyList<OutboxMessage> parked)
    {
        var (encoding, state) = EmbedState(snapshot.State);
        IReadOnlyList<OutboxEntryView> outbox =
        [
            .. snapshot.Pending.Select(OutboxEntryView.From),
            .. parked.Select(OutboxEntryView.From),
        ];
        IReadOnlyList<CountdownView> countdowns = [.. (snapshot.Countdowns ?? []).OrderBy(c => c.DueAt)];
        return new ConversationView(key.Tenant, key.ConversationId, snapshot.Version, snapshot.Cursor, pendingEvents, encoding, state, outbox, snapshot.HandoffRoute, countdowns);
    }

    private static (string Encoding, JsonElement? State) EmbedState(ReadOnlyMemory<byte> state)
    {
        if (state.IsEmpty) return ("none", null);
        try
        {
            using var document = JsonDocument.Parse(state);
            return ("json", document.RootElement.Clone());
        }
        catch (JsonException)
        {
            return ("base64", JsonSerializer.SerializeToElement(Convert.ToBase64String(state.Span), GatewayJsonContext.Default.String));
        }
    }
}

/// <summary>One action as the admin API shows it (the payload stays out: it can carry message text).</summary>
public sealed record OutboxEntryView(long Id, string Kind, string Status, int Attempts, DateTimeOffset? NextAttemptAt, string? LastError)
{
    public static OutboxEntryView From(PendingActionView action) =>
        new(action.Id, action.Kind, "pending", action.Attempts, action.NextAttemptAt, action.LastError);

    public static OutboxEntryView From(OutboxMessage message) =>
        new(message.Id, message.Kind, message.Status.ToString().ToLowerInvariant(), message.Attempts, message.NextAttemptAt, message.LastError);
}

/// <summary>A parked action: given up on after its attempts, waiting for an operator.</summary>
public sealed record ParkedActionView(string Tenant, string ConversationId, long Id, string Kind, int Attempts, string? LastError)
{
    public static ParkedActionView From(ParkedAction parked) =>
        new(parked.Key.Tenant, parked.Key.ConversationId, parked.Message.Id, parked.Message.Kind, parked.Message.Attempts, parked.Message.LastError);
}
