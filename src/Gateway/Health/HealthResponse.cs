using System.Text.Json.Serialization;

namespace Conversations.Gateway.Health;

/// <summary><c>{"status":"ready"}</c>, or <c>{"status":"unready","reason":"..."}</c>.</summary>
public sealed record HealthResponse(string Status, [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason = null);
