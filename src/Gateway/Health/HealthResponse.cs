namespace Conversations.Gateway.Health;

/// <summary><c>{"status":"ready"}</c>, or <c>{"status":"unready","reason":"..."}</c>.</summary>
public sealed record HealthResponse(string Status, string? Reason = null);
