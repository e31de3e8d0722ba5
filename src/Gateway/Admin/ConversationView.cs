using System.Text.Json;
using Conversations.Gateway.Hosting;
using Conversations.Runtime.Store;

namespace Conversations.Gateway.Admin;

/// <summary>
/// The admin view of one conversation. <see cref="State"/> is the stored state embedded as JSON when
/// it is JSON (the grains store JSON, transcript included), else a base64 string; <see cref="StateEncoding"/> says which.
/// </summary>
public sealed record ConversationView(
    string Tenant,
    string ConversationId,
    long Version,
    long Fence,
    int PendingEvents,
    string StateEncoding,
    JsonElement? State,
    IReadOnlyList<OutboxEntryView> Outbox)
{
    public static ConversationView From(ConversationRecord record)
    {
        var (encoding, state) = EmbedState(record.State);
        return new ConversationView(
            record.Key.Tenant,
            record.Key.ConversationId,
            record.Version,
            record.Fence,
            record.PendingEvents,
            encoding,
            state,
            [.. record.Outbox.Select(OutboxEntryView.From)]);
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

/// <summary>One outbox action as the admin API shows it (the payload stays out: it can carry message text).</summary>
public sealed record OutboxEntryView(long Id, string Kind, string Status, int Attempts, DateTimeOffset NextAttemptAt, string? LastError)
{
    public static OutboxEntryView From(OutboxMessage message) =>
        new(message.Id, message.Kind, message.Status.ToString().ToLowerInvariant(), message.Attempts, message.NextAttemptAt, message.LastError);
}

/// <summary>A parked action: given up on after its attempts, waiting for an operator.</summary>
public sealed record ParkedActionView(string Tenant, string ConversationId, long Id, string Kind, int Attempts, string? LastError)
{
    public static ParkedActionView From(ParkedAction parked) =>
        new(parked.Key.Tenant, parked.Key.ConversationId, parked.Message.Id, parked.Message.Kind, parked.Message.Attempts, parked.Message.LastError);
}
