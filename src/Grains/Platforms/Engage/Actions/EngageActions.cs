using System.Text.Json;

namespace Conversations.Grains.Platforms.Engage.Actions;

/// <summary>
/// The Engage actions a turn decides, as outbox payloads (kind + JSON). The thread is the
/// conversation id, so it is not repeated here. Each action is one idempotent-enough step so a
/// retry repeats as little as possible.
/// </summary>
public static class EngageActionKinds
{
    public const string Prefix = "engage.";
    public const string Reply = "engage.reply";
    public const string OpenIntervention = "engage.open_intervention";
    public const string Handoff = "engage.handoff";
    public const string ReturnToBot = "engage.return_to_bot";
    public const string HoldingIfNoAgent = "engage.holding_if_no_agent";
    public const string Resolve = "engage.resolve";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static NewOutboxMessage Create<T>(string kind, T payload) => new(kind, JsonSerializer.SerializeToUtf8Bytes(payload, Json));

    public static T Read<T>(ReadOnlyMemory<byte> payload) =>
        JsonSerializer.Deserialize<T>(payload.Span, Json) ?? throw new JsonException("empty Engage action payload");
}

/// <summary><c>POST /contents</c> in reply to the customer's content, plain text, private when that content was.</summary>
public sealed record EngageReplyAction(string InReplyToId, string Body, bool Private = false);

/// <summary><c>POST /interventions?content_id=</c> before the bot's first reply (Engage's bot guide).</summary>
public sealed record EngageOpenInterventionAction(string ContentId);

/// <summary>
/// Hand the thread to humans: end the bot's own intervention (close when it replied, cancel when it
/// did not), then replace the thread's categories with BOT removed and AGENT added, others kept.
/// </summary>
/// <param name="BotIntervention">The bot opened an intervention in this episode.</param>
/// <param name="InterventionId">Its id when known; otherwise it is looked up by owner.</param>
/// <param name="Summary">Reason and bot-part summary, left as a comment on the bot's intervention for the agent.</param>
/// <param name="CategoryId">The handoff route's category, added instead of the tenant's AGENT category (null: AGENT).</param>
public sealed record EngageHandoffAction(string Reason, bool BotIntervention, string? InterventionId, bool BotReplied, string? Summary = null, string? CategoryId = null);

/// <summary>
/// Inactivity: the customer left. End the bot's intervention as a handoff does (close when it replied, cancel
/// when it did not); the thread keeps its categories (BOT: a customer who comes back is the bot's again) and
/// is closed too when <paramref name="CloseThread"/> (only some sources support it: a refusal is not an error).
/// </summary>
public sealed record EngageResolveAction(bool BotIntervention, string? InterventionId, bool BotReplied, bool CloseThread);

/// <summary>
/// Put the thread back in BOT (<paramref name="CategoryId"/>, the category the bot handed it to, removed, else AGENT;
/// others kept): <c>intervention.closed</c> with ReturnToBotOnClose.
/// </summary>
public sealed record EngageReturnToBotAction(string Reason, string? CategoryId = null);

/// <summary>
/// Before a handoff (CheckAgentAvailability with NoAgentPolicy=HoldingMessage): ask <c>GET /status</c>
/// whether an agent who can take the thread is available (in <paramref name="CategoryId"/>, the handoff route's, else
/// AGENT), and when none is, tell the customer.
/// </summary>
public sealed record EngageHoldingIfNoAgentAction(string InReplyToId, string Message, string? SourceId, bool Private = false, string? CategoryId = null);
