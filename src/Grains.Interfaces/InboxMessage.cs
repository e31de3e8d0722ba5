namespace Conversations;

/// <summary>An event to append to a conversation's durable inbox.</summary>
/// <param name="DedupeKey">Platform delivery id or message id + event type; a repeated key is accepted and dropped.</param>
/// <param name="Type">A short label for logs and the admin API (for example <c>chatwoot.message_created</c>).</param>
/// <param name="Body">The normalized event, serialized by whoever appends it; the runtime never reads it.</param>
/// <param name="TraceParent">The W3C trace context of the webhook that carried it (null when not traced), so the turn that consumes it joins that trace.</param>
public sealed record NewInboxMessage(string DedupeKey, string Type, ReadOnlyMemory<byte> Body, string? TraceParent = null);

/// <summary>An inbox entry as stored: <see cref="Sequence"/> orders a conversation's events.</summary>
public sealed record InboxMessage(long Sequence, string DedupeKey, string Type, ReadOnlyMemory<byte> Body, DateTimeOffset ReceivedAt, string? TraceParent = null);
