using System.Text.Json.Serialization;
using Conversations.Gateway.Admin;
using Conversations.Gateway.Admin.Stats;
using Conversations.Gateway.Health;
using Conversations.Gateway.Webhooks;

namespace Conversations.Gateway.Hosting;

/// <summary>Every JSON body the gateway writes, serialized without reflection.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(ErrorResponse))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(WebhookAcknowledgement))]
[JsonSerializable(typeof(HealthResponse))]
[JsonSerializable(typeof(ConversationView))]
[JsonSerializable(typeof(IReadOnlyList<ParkedActionView>))]
[JsonSerializable(typeof(IReadOnlyList<TenantView>))]
[JsonSerializable(typeof(ConversationListView))]
[JsonSerializable(typeof(LiveStatsView))]
internal sealed partial class GatewayJsonContext : JsonSerializerContext;

/// <summary>The body of every error answer: a short reason, never request content.</summary>
public sealed record ErrorResponse(string Error);
