using System.Text.RegularExpressions;

namespace Conversations;

public enum PlatformKind { Chatwoot, Engage }

/// <summary>One tenant: a platform account (or a global bot serving many accounts) and the AI behind it.</summary>
public sealed partial class TenantOptions
{
    /// <summary>[a-z0-9-]{1,64}; appears in the webhook URL.</summary>
    public string Id { get; set; } = "";
    public PlatformKind Platform { get; set; }
    /// <summary>Chatwoot: https://chat.example.com; Engage: https://acme.api.engagement.dimelo.com</summary>
    public string? BaseUrl { get; set; }
    /// <summary>Chatwoot agent-bot access token; Engage bot user's access token.</summary>
    public string? ApiToken { get; set; }
    /// <summary>Chatwoot bot signing secret (HMAC); Engage webhook secret (X-Dimelo-Secret).</summary>
    public string? WebhookSecret { get; set; }
    /// <summary>Chatwoot without signing: required <c>?token=</c> on the webhook URL.</summary>
    public string? UrlToken { get; set; }
    /// <summary>Engage handshake token (<c>hub.verify_token</c>).</summary>
    public string? VerifyToken { get; set; }
    /// <summary>Chatwoot agent bot id / Engage bot user id (echo detection).</summary>
    public string? BotIdentity { get; set; }

    public AiOptions Ai { get; set; } = new();
    public HandoffOptions Handoff { get; set; } = new();
    public BusinessHoursOptions BusinessHours { get; set; } = new();
    public LifecycleOptions Lifecycle { get; set; } = new();
    public ChatwootTenantOptions Chatwoot { get; set; } = new();
    public EngageTenantOptions Engage { get; set; } = new();

    [GeneratedRegex("^[a-z0-9-]{1,64}$")]
    private static partial Regex IdPattern();

    /// <summary>Every problem with this tenant's settings, as messages naming the key; empty when valid.</summary>
    public IEnumerable<string> Validate(int index)
    {
        var at = $"Conversations:Tenants:{index}";
        if (!IdPattern().IsMatch(Id)) yield return $"{at}:Id must match [a-z0-9-]{{1,64}} (was '{Id}').";
        if (BaseUrl is not null && !Uri.TryCreate(BaseUrl, UriKind.Absolute, out _)) yield return $"{at}:BaseUrl must be an absolute URL.";
        if (Platform == PlatformKind.Chatwoot && string.IsNullOrEmpty(WebhookSecret) && string.IsNullOrEmpty(UrlToken))
            yield return $"{at}: a Chatwoot tenant needs WebhookSecret (signed webhooks) or UrlToken (unsigned).";
        if (Platform == PlatformKind.Engage && string.IsNullOrEmpty(VerifyToken))
            yield return $"{at}:VerifyToken is required for an Engage tenant (webhook handshake).";
        if (Platform == PlatformKind.Engage)
            foreach (var problem in Engage.Validate(at, this)) yield return problem;
        foreach (var problem in Ai.Validate($"{at}:Ai")) yield return problem;
        if (Handoff.MaxBotTurns < 0) yield return $"{at}:Handoff:MaxBotTurns must be >= 0 (0 = no limit).";
        for (var r = 0; r < Handoff.Routes.Count; r++)
            foreach (var problem in Handoff.Routes[r].Validate($"{at}:Handoff:Routes:{r}", Platform)) yield return problem;
        foreach (var problem in BusinessHours.Validate($"{at}:BusinessHours")) yield return problem;
        foreach (var problem in Lifecycle.Validate($"{at}:Lifecycle")) yield return problem;
    }
}

public enum AiKind { Rules, OpenAi, Rasa, Webhook }

public sealed class AiOptions
{
    public AiKind Kind { get; set; } = AiKind.Rules;
    public string? Endpoint { get; set; }
    public string? ApiKey { get; set; }
    public string? Model { get; set; }
    public string? SystemPrompt { get; set; }
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(20);
    public int MaxContextMessages { get; set; } = 20;
    /// <summary>One message's text, in the transcript and for the AI, is cut beyond this (marked "…[cut]").</summary>
    public int MaxMessageChars { get; set; } = 4000;
    /// <summary>
    /// What one AI request may carry, in characters: system prompt, facts and transcript texts. Over it the
    /// oldest transcript entries are left out first, never the newest.
    /// </summary>
    public int MaxPromptChars { get; set; } = 16000;
    /// <summary>Retries after the first attempt, with jittered backoff.</summary>
    public int MaxRetries { get; set; } = 2;
    /// <summary>Built-in Rules: keyword/regex rules with replies, buttons and a handoff flag.</summary>
    public List<AiRule> Rules { get; set; } = [];

    public IEnumerable<string> Validate(string at)
    {
        if (Kind != AiKind.Rules && !Uri.TryCreate(Endpoint, UriKind.Absolute, out _)) yield return $"{at}:Endpoint must be an absolute URL for Ai:Kind={Kind}.";
        if (Timeout <= TimeSpan.Zero) yield return $"{at}:Timeout must be positive.";
        if (MaxContextMessages < 1) yield return $"{at}:MaxContextMessages must be at least 1.";
        if (MaxMessageChars is < 100 or > 1_000_000) yield return $"{at}:MaxMessageChars must be between 100 and 1000000 (was {MaxMessageChars}).";
        // The newest message, whole, must fit beside the system prompt.
        var floor = (long)MaxMessageChars + (SystemPrompt?.Length ?? 0);
        if (MaxPromptChars < floor)
            yield return $"{at}:MaxPromptChars must be at least MaxMessageChars plus the length of SystemPrompt ({floor}; was {MaxPromptChars}).";
        if (MaxRetries < 0) yield return $"{at}:MaxRetries must be >= 0.";
    }
}

/// <summary>A built-in rule: when <see cref="Pattern"/> (a case-insensitive regex) matches the customer's message, answer.</summary>
public sealed class AiRule
{
    public string Pattern { get; set; } = "";
    public string? Reply { get; set; }
    public List<string> Buttons { get; set; } = [];
    public bool Handoff { get; set; }
}

public sealed class HandoffOptions
{
    /// <summary>Customer phrases that ask for a human (case-insensitive, whole words).</summary>
    public List<string> Keywords { get; set; } = ["human", "agent", "operator", "representative"];
    /// <summary>Bot turns without resolution before handing off; 0 = no limit.</summary>
    public int MaxBotTurns { get; set; } = 10;
    /// <summary>Said to the customer as the bot's last public reply when it hands off (any reason); empty = none.</summary>
    public string Message { get; set; } = "";
    /// <summary>Where a handoff goes: the first route that matches it is applied; none matching, the platform's default.</summary>
    public List<HandoffRoute> Routes { get; set; } = [];

    /// <summary>The topics the routes name, in order, without repeats: what the AI may choose from.</summary>
    public IReadOnlyList<string> Topics() =>
        [.. Routes.Select(r => r.Topic).OfType<string>().Where(t => t.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase)];
}

/// <summary>
/// One handoff route, matched by <see cref="Reason"/> (why the bot hands off) or <see cref="Topic"/> (what the AI
/// said the conversation is about); a route with neither matches every handoff. Chatwoot: the conversation is
/// assigned to <see cref="TeamId"/> and <see cref="AssigneeId"/>, gets <see cref="Labels"/> added to its own and
/// <see cref="Priority"/> set. Engage: the thread goes to <see cref="CategoryId"/> instead of Engage:AgentCategoryId.
/// </summary>
public sealed partial class HandoffRoute
{
    /// <summary>The reasons a route can name, spelled as the handoffs meter and the admin list spell them.</summary>
    public static readonly IReadOnlyList<string> Reasons = ["customer_asked", "max_bot_turns", "ai_failure", "ai_signal", "ai_no_answer", "platform"];

    /// <summary>Chatwoot's conversation priorities.</summary>
    public static readonly IReadOnlyList<string> Priorities = ["low", "medium", "high", "urgent"];

    public string? Reason { get; set; }
    public string? Topic { get; set; }
    /// <summary>Chatwoot team id.</summary>
    public string? TeamId { get; set; }
    /// <summary>Chatwoot agent (user) id.</summary>
    public string? AssigneeId { get; set; }
    /// <summary>Chatwoot label titles, added to the ones the conversation has.</summary>
    public List<string> Labels { get; set; } = [];
    /// <summary>Chatwoot priority: low, medium, high or urgent.</summary>
    public string? Priority { get; set; }
    /// <summary>Engage category the thread moves to instead of Engage:AgentCategoryId.</summary>
    public string? CategoryId { get; set; }

    /// <summary>Whether this route takes a handoff for <paramref name="reason"/>, where the AI named <paramref name="topic"/> (or none).</summary>
    public bool Matches(string reason, string? topic)
    {
        if (!string.IsNullOrEmpty(Topic)) return topic is not null && string.Equals(Topic, topic, StringComparison.OrdinalIgnoreCase);
        if (!string.IsNullOrEmpty(Reason)) return string.Equals(Reason, reason, StringComparison.OrdinalIgnoreCase);
        return true;
    }

    [GeneratedRegex("^[A-Za-z0-9_-]{1,64}$")]
    private static partial Regex TopicPattern();

    [GeneratedRegex("^[0-9]{1,18}$")]
    private static partial Regex ChatwootId();

    public IEnumerable<string> Validate(string at, PlatformKind platform)
    {
        if (!string.IsNullOrEmpty(Reason) && !string.IsNullOrEmpty(Topic))
            yield return $"{at}: set Reason or Topic, not both (a Topic is the AI's, its reason is ai_signal).";
        if (!string.IsNullOrEmpty(Reason) && !Reasons.Contains(Reason, StringComparer.OrdinalIgnoreCase))
            yield return $"{at}:Reason '{Reason}' is not a handoff reason; use one of: {string.Join(", ", Reasons)}.";
        if (!string.IsNullOrEmpty(Topic) && !TopicPattern().IsMatch(Topic))
            yield return $"{at}:Topic '{Topic}' must match [A-Za-z0-9_-]{{1,64}} (the AI is offered it as a name).";
        if (platform == PlatformKind.Chatwoot)
        {
            if (!string.IsNullOrEmpty(TeamId) && !ChatwootId().IsMatch(TeamId)) yield return $"{at}:TeamId must be a Chatwoot team id (digits).";
            if (!string.IsNullOrEmpty(AssigneeId) && !ChatwootId().IsMatch(AssigneeId)) yield return $"{at}:AssigneeId must be a Chatwoot agent id (digits).";
            if (!string.IsNullOrEmpty(Priority) && !Priorities.Contains(Priority, StringComparer.OrdinalIgnoreCase))
                yield return $"{at}:Priority '{Priority}' is not a Chatwoot priority; use one of: {string.Join(", ", Priorities)}.";
            for (var i = 0; i < Labels.Count; i++)
                if (string.IsNullOrWhiteSpace(Labels[i]) || Labels[i].Any(c => char.IsWhiteSpace(c) || c == ','))
                    yield return $"{at}:Labels:{i} must be a Chatwoot label title (no spaces or commas).";
            if (!string.IsNullOrEmpty(CategoryId)) yield return $"{at}:CategoryId is for Engage tenants; a Chatwoot route sets TeamId, AssigneeId, Labels or Priority.";
        }
        else
        {
            if (!string.IsNullOrEmpty(TeamId) || !string.IsNullOrEmpty(AssigneeId) || Labels.Count > 0 || !string.IsNullOrEmpty(Priority))
                yield return $"{at}: TeamId, AssigneeId, Labels and Priority are for Chatwoot tenants; an Engage route sets CategoryId.";
            if (!string.IsNullOrEmpty(CategoryId) && !EngageId().IsMatch(CategoryId)) yield return $"{at}:CategoryId must be an Engage category id (letters and digits).";
        }
    }

    [GeneratedRegex("^[A-Za-z0-9]{1,64}$")]
    private static partial Regex EngageId();
}

public enum OutsideHoursAction { HandOff, KeepWithBot, Snooze }

/// <summary>
/// When people answer (off unless <see cref="Weekly"/> is set). A handoff outside these hours tells the customer
/// when people are back (<see cref="OutsideMessage"/>), then does <see cref="OutsideAction"/>. Times are wall-clock
/// times in <see cref="TimeZone"/>, so daylight-saving changes move them with the clock. <see cref="Hours"/> computes them.
/// </summary>
public sealed class BusinessHoursOptions
{
    public const string NextOpeningPlaceholder = "{next_opening}";

    /// <summary>IANA time zone id, e.g. Europe/Paris (the system's time zone database).</summary>
    public string? TimeZone { get; set; }

    /// <summary>Per weekday (Monday..Sunday): spans "HH:mm-HH:mm", several separated by commas, "24:00" ends at midnight; a day left out or "closed" is closed.</summary>
    public Dictionary<string, string> Weekly { get; set; } = [];

    /// <summary>Dates (yyyy-MM-dd, in <see cref="TimeZone"/>) closed all day whatever <see cref="Weekly"/> says.</summary>
    public List<string> Closed { get; set; } = [];

    /// <summary>Said to the customer when a handoff falls outside the hours; {next_opening} is the next opening time; empty says nothing.</summary>
    public string OutsideMessage { get; set; } = "Our team is away right now. We are back on {next_opening}.";

    /// <summary>How {next_opening} is written: a .NET custom date and time format, in <see cref="TimeZone"/>, invariant culture.</summary>
    public string OpeningFormat { get; set; } = "dddd d MMMM, HH:mm";

    /// <summary>HandOff anyway, KeepWithBot, or Snooze until the next opening (Chatwoot; Engage has no snooze and hands off).</summary>
    public OutsideHoursAction OutsideAction { get; set; } = OutsideHoursAction.HandOff;

    public bool Enabled => Weekly.Count > 0;

    /// <summary>The calculator for these settings; null when business hours are off. Throws when they are invalid (validated at start).</summary>
    public BusinessHours? Hours() =>
        !Enabled ? null
        : Conversations.BusinessHours.Parse(this, "BusinessHours", out var problems) ?? throw new InvalidOperationException(string.Join(" ", problems));

    public IEnumerable<string> Validate(string at)
    {
        if (!Enabled)
        {
            if (!string.IsNullOrEmpty(TimeZone) || Closed.Count > 0)
                yield return $"{at}:Weekly is required when {at}:TimeZone or {at}:Closed is set (business hours are on only with opening hours).";
            yield break;
        }
        Conversations.BusinessHours.Parse(this, at, out var problems);
        foreach (var problem in problems) yield return problem;
    }
}

public enum BurstPolicy { Supersede, ReplyEach }

public sealed class ChatwootTenantOptions
{
    public BurstPolicy BurstPolicy { get; set; } = BurstPolicy.Supersede;
    /// <summary>Agent assist: one AI-suggested answer per customer message in human mode, as a private note.</summary>
    public bool Assist { get; set; }
}

public enum NoAgentPolicy { HandoffAnyway, HoldingMessage }

public sealed class EngageTenantOptions
{
    public string? BotCategoryId { get; set; }
    public string? AgentCategoryId { get; set; }
    /// <summary>Open an intervention before the first reply when the content has none and is first in thread.</summary>
    public bool OpenIntervention { get; set; } = true;
    /// <summary>On intervention.closed, put the thread back in the BOT category.</summary>
    public bool ReturnToBotOnClose { get; set; }
    /// <summary>Before a handoff, ask GET /status whether an agent is available.</summary>
    public bool CheckAgentAvailability { get; set; }
    public NoAgentPolicy NoAgentPolicy { get; set; } = NoAgentPolicy.HandoffAnyway;
    public string HoldingMessage { get; set; } = "All our agents are busy right now. We will get back to you as soon as possible.";
    /// <summary>
    /// When inactivity resolves a thread, also close it (<c>PUT /content_threads/{id}/close</c>). Off by default:
    /// only some source types support it, and a closed thread refuses replies until it is reopened.
    /// </summary>
    public bool CloseThreadOnResolve { get; set; }
    /// <summary>Client-side request budget per tenant, under Engage's 500 requests/minute.</summary>
    public int RequestsPerMinute { get; set; } = 450;

    /// <summary>
    /// WebhookSecret, BaseUrl and ApiToken are not enforced here: without a secret every event POST is
    /// refused (401), without BaseUrl/ApiToken actions are parked with a clear error.
    /// </summary>
    public IEnumerable<string> Validate(string at, TenantOptions tenant)
    {
        if (RequestsPerMinute is < 1 or > 500) yield return $"{at}:Engage:RequestsPerMinute must be between 1 and 500 (Engage allows 500/minute).";
    }
}
