namespace Conversations.Grains.Platforms.Engage;

/// <summary>Keys of <c>ConversationState.Platform</c> (and Context) the Engage seam keeps per thread.</summary>
internal static class EngageStateKeys
{
    /// <summary>The customer content the next reply answers (<c>in_reply_to_id</c>).</summary>
    public const string ReplyTo = "engage.reply_to";
    /// <summary>issued_at of <see cref="ReplyTo"/> (round-trip format).</summary>
    public const string ReplyToAt = "engage.reply_to_at";
    /// <summary>"true" when <see cref="ReplyTo"/> is a private message: its reply must be private too.</summary>
    public const string ReplyToPrivate = "engage.reply_to_private";
    public const string SourceId = "engage.source_id";
    /// <summary>A first-in-thread customer content without intervention: the bot opens one on it before replying.</summary>
    public const string OpenOn = "engage.open_on";
    /// <summary>"true" once the bot asked for an intervention in this episode.</summary>
    public const string BotIntervention = "engage.bot_intervention";
    /// <summary>The bot's intervention id, learned from events (its echoes, intervention events, later imports).</summary>
    public const string BotInterventionId = "engage.bot_intervention_id";
    /// <summary>"true" once the bot replied under its intervention (close rather than cancel).</summary>
    public const string BotReplied = "engage.bot_replied";
    /// <summary>"true" after an inactivity resolve ended the bot's intervention: the next content outside one opens a new one first.</summary>
    public const string ReopenIntervention = "engage.reopen_intervention";
    /// <summary>An intervention a human agent owns: while it is open the bot stays quiet whatever the category.</summary>
    public const string HumanIntervention = "engage.human_intervention";
    /// <summary>
    /// Owners of interventions contents named but no event announced, as looked up over REST: "id=owner" pairs,
    /// comma-separated, owner <see cref="OwnerBot"/>, <see cref="OwnerHuman"/> or <see cref="OwnerNone"/>.
    /// </summary>
    public const string InterventionOwners = "engage.intervention_owners";
    public const string OwnerBot = "bot";
    public const string OwnerHuman = "human";
    public const string OwnerNone = "none";
    /// <summary>Customer contents whose reply the bot already posted again after a failed delivery (once each), comma-separated.</summary>
    public const string Redelivered = "engage.redelivered";
    /// <summary>The category the bot last handed the thread to when a route chose one (ReturnToBot removes it instead of AGENT).</summary>
    public const string HandoffCategory = "engage.handoff_category";
    /// <summary>"true" once the thread's recent history was read over REST.</summary>
    public const string HistoryLoaded = "engage.history_loaded";
    /// <summary>Recent content ids seen in events (history loading skips them), comma-separated.</summary>
    public const string SeenContents = "engage.seen_contents";

    /// <summary>Context for the AI: the customer's display name.</summary>
    public const string CustomerName = "customer_name";
    public const string Channel = "channel";
}
