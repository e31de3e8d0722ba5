namespace Conversations;

/// <summary>An action a turn decided (reply, note, status change...), committed with the turn and sent afterwards.</summary>
/// <param name="Kind">A short label for logs and the admin API (for example <c>chatwoot.reply</c>).</param>
/// <param name="Payload">Serialized by the grain; only the matching <see cref="IOutboxSender"/> reads it.</param>
public sealed record NewOutboxMessage(string Kind, ReadOnlyMemory<byte> Payload);

public enum OutboxStatus { Pending, Sent, Parked }

/// <summary>An outbox entry as stored. <see cref="Id"/> orders a conversation's actions and is their idempotency key.</summary>
public sealed record OutboxMessage(
    long Id,
    string Kind,
    ReadOnlyMemory<byte> Payload,
    OutboxStatus Status,
    int Attempts,
    DateTimeOffset NextAttemptAt,
    string? LastError);
