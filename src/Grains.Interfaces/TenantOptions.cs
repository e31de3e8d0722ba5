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
