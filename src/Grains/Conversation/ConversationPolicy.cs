using System.Text.Json;
using Conversations.Grains.Ai;
using Microsoft.Extensions.Logging;

namespace Conversations.Grains.Conversation;

/// <summary>
/// The conversation state machine (ARCHITECTURE.md section 4), shared by every platform. A turn folds
/// all pending events into the state, then decides once: answer (one AI call for a burst), hand off,
/// stand down, or suggest an answer to the agent. Platform specifics go through <see cref="IPlatformConversation"/>.
/// </summary>
public sealed partial class ConversationPolicy(
    ConversationKey key,
    ConversationState state,
    TenantCatalog tenants,
    PlatformConversations platforms,
    IAiClient ai,
    TimeProvider time,
    ILogger<ConversationPolicy> logger,
    ConversationMetrics? metrics = null) : IConversationPolicy
{
    /// <summary>Supersede drops at most this many replies in a row, then answers anyway.</summary>
    public const int MaxConsecutiveSupersedes = 2;

    /// <summary>The transcript keeps at least this many messages whatever Ai:MaxContextMessages says (summaries need them).</summary>
    public const int MinTranscriptWindow = 10;

    public ConversationState State => state;

    public async ValueTask<TurnResult> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken)
    {
        var tenant = tenants.Find(key.Tenant);
        if (tenant is null)
        {
            LogUnknownTenant(key.Tenant, turn.Events.Count);
            return TurnResult.Unchanged;
        }
        var platform = platforms.Find(tenant.Platform);
        if (platform is null)
        {
            LogNoPlatform(tenant.Platform, key.Tenant);
            return TurnResult.Unchanged;
        }

        var scope = new ConversationScope(key, tenant, state);
        var policy = platform.PolicyFor(tenant);
        var actions = new List<NewOutboxMessage>();
        var window = Math.Max(tenant.Ai.MaxContextMessages, MinTranscriptWindow);
        var newCustomerTexts = new List<string>();
        var assistWanted = false;

        foreach (var parsed in Parse(turn.Events))
        {
            if (await platform.PrepareAsync(scope, parsed, cancellationToken) is not { } e) continue;
            var ownership = platform.Fold(scope, e);
            ApplyOwnership(ownership, e);
            actions.AddRange(platform.BuildEventActions(scope, e));
            // No goodbye here: it would go the way of the reply that could not be delivered.
            if (state.Mode == ConversationMode.Bot && platform.HandoffReasonFor(scope, e) is { } why) HandOff(why, HandoffCause.Platform, platform, scope, actions, sayGoodbye: false);
            switch (e.Kind)
            {
                case EventKind.CustomerMessage when !string.IsNullOrWhiteSpace(e.Text):
                    state.Inactivity = null; // the customer spoke: no follow-up, no resolve
                    if (state.Mode == ConversationMode.Resolved) StartBotEpisode(e.OccurredAt, "customer wrote after resolution");
                    state.AddToTranscript(new TranscriptEntry(TranscriptRole.Customer, e.Text!, e.OccurredAt, e.Author, e.Id), window, tenant.Ai.MaxMessageChars);
                    if (state.Mode == ConversationMode.Bot)
                    {
                        state.AwaitingReply = true;
                        newCustomerTexts.Add(e.Text!);
                    }
                    else assistWanted = true;
                    break;
                case EventKind.AgentMessage:
                    if (!string.IsNullOrWhiteSpace(e.Text))
                        state.AddToTranscript(new TranscriptEntry(TranscriptRole.Agent, e.Text!, e.OccurredAt, e.Author, e.Id), window, tenant.Ai.MaxMessageChars);
                    if (state.Mode == ConversationMode.Bot) HumanTookOver(e, platform, scope, actions, emitTakeover: true);
                    break;
                case EventKind.HumanTookOver:
                    if (state.Mode != ConversationMode.Human) HumanTookOver(e, platform, scope, actions, emitTakeover: false);
                    break;
                case EventKind.Resolved:
                    SetMode(ConversationMode.Resolved, e.OccurredAt);
                    break;
            }
            state.LastEventId = e.Id;
            if (e.OccurredAt > (state.LastEventAt ?? DateTimeOffset.MinValue)) state.LastEventAt = e.OccurredAt;
        }

        if (state.Mode == ConversationMode.Bot && state.AwaitingReply)
            await DecideBotTurnAsync(turn, tenant, platform, policy, scope, newCustomerTexts, actions, cancellationToken);
        else if (state.Mode == ConversationMode.Human && assistWanted && policy.Assist)
            await AssistAsync(tenant, platform, scope, actions, cancellationToken);

        return Result(actions);
    }

    private TurnResult Result(IReadOnlyList<NewOutboxMessage> actions) =>
        new(ConversationStateJson.Serialize(state), actions,
            new ConversationSummary(state.Mode.ToString().ToLowerInvariant(), state.LastHandoffCause, state.LastEventAt))
        {
            Countdowns = Inactivity.Pending(state.Inactivity),
        };

    private async ValueTask DecideBotTurnAsync(TurnContext turn, TenantOptions tenant, IPlatformConversation platform, PlatformPolicy policy,
        ConversationScope scope, List<string> newCustomerTexts, List<NewOutboxMessage> actions, CancellationToken cancellationToken)
    {
        if (newCustomerTexts.Any(t => HandoffKeywords.AsksForHuman(t, tenant.Handoff.Keywords)))
        {
            HandOff("the customer asked for a human", HandoffCause.CustomerAsked, platform, scope, actions);
            return;
        }
        if (tenant.Handoff.MaxBotTurns > 0 && state.BotTurns >= tenant.Handoff.MaxBotTurns)
        {
            HandOff($"the bot answered {state.BotTurns} times without resolving the conversation (Handoff:MaxBotTurns)", HandoffCause.MaxBotTurns, platform, scope, actions);
            return;
        }

        if (!state.ContextLoaded)
        {
            try { await platform.LoadContextAsync(scope, cancellationToken); }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogContextFailed(ex, key);
            }
            state.ContextLoaded = true;
        }

        AiReply reply;
        // Typing goes out alongside the AI call (not before it): the indicator must never delay the answer.
        var typingOn = TypingAsync(platform, scope, on: true, cancellationToken).AsTask();
        try
        {
            reply = await ai.RespondAsync(Request(tenant, AiPurpose.Reply), cancellationToken);
        }
        catch (AiUnavailableException ex)
        {
            state.AiFailures++;
            LogAiFailed(key, ex.Message);
            await typingOn;
            await TypingAsync(platform, scope, on: false, cancellationToken);
            HandOff($"the AI could not answer ({ex.Message})", HandoffCause.AiFailure, platform, scope, actions);
            return;
        }
        finally
        {
            if (!typingOn.IsCompleted) await typingOn;
        }
        await TypingAsync(platform, scope, on: false, cancellationToken);

        var newer = ParseNewer(await turn.ReadNewerEventsAsync(cancellationToken));
        if (newer.Any(e => e.Kind is EventKind.AgentMessage or EventKind.HumanTookOver or EventKind.Resolved))
        {
            // A human took the conversation (or it ended) while the AI was thinking: the reply would talk
            // over them. The next turn folds those events and stands down.
            LogOvertakenByHuman(key);
            return;
        }
        if (policy.BurstPolicy == BurstPolicy.Supersede && state.ConsecutiveSupersedes < MaxConsecutiveSupersedes
            && newer.Any(e => e.Kind == EventKind.CustomerMessage && !string.IsNullOrWhiteSpace(e.Text)))
        {
            // Newer customer messages overtook this reply: drop it, the next turn answers the whole newer context.
            state.ConsecutiveSupersedes++;
            LogSuperseded(key, state.ConsecutiveSupersedes);
            return;
        }

        state.ConsecutiveSupersedes = 0;
        state.AwaitingReply = false;
        state.BotTurns++;
        var window = Math.Max(tenant.Ai.MaxContextMessages, MinTranscriptWindow);
        var now = Later(time.GetUtcNow(), state.LastEventAt);
        foreach (var message in reply.Messages.Where(m => !string.IsNullOrWhiteSpace(m.Text)))
            state.AddToTranscript(new TranscriptEntry(TranscriptRole.Bot, message.Text, now, "bot"), window, tenant.Ai.MaxMessageChars);
        if (reply.Messages.Count > 0)
        {
            var replies = platform.BuildReply(scope, reply);
            actions.AddRange(replies);
            // The bot has the last word now: the inactivity countdown starts (a handoff below cancels it).
            if (replies.Count > 0) state.Inactivity = Inactivity.Arm(tenant.Lifecycle, time.GetUtcNow());
        }

        if (reply.Handoff) HandOff(reply.HandoffReason is { Length: > 0 } r ? $"the AI asked for a human: {r}" : "the AI asked for a human", HandoffCause.AiSignal, platform, scope, actions, topic: reply.HandoffTopic);
        else if (reply.Messages.Count == 0) HandOff("the AI gave no answer", HandoffCause.AiNoAnswer, platform, scope, actions);
    }

    /// <summary>The events that arrived while the AI was thinking; unreadable bodies are skipped (the next turn reports them).</summary>
    private static List<ConversationEvent> ParseNewer(IReadOnlyList<InboxMessage> newer)
    {
        var events = new List<ConversationEvent>(newer.Count);
        foreach (var message in newer)
        {
            try { events.Add(ConversationEventJson.Deserialize(message.Body.Span)); }
            catch (JsonException) { }
        }
        return events;
    }

    private async ValueTask AssistAsync(TenantOptions tenant, IPlatformConversation platform, ConversationScope scope, List<NewOutboxMessage> actions, CancellationToken cancellationToken)
    {
        try
        {
            var suggestion = await ai.RespondAsync(Request(tenant, AiPurpose.Assist), cancellationToken);
            if (suggestion.Messages.Any(m => !string.IsNullOrWhiteSpace(m.Text))) actions.AddRange(platform.BuildAssistNote(scope, suggestion));
        }
        catch (AiUnavailableException ex)
        {
            // Assist is a courtesy to the agent: a failure costs nothing but the suggestion.
            LogAssistFailed(key, ex.Message);
        }
    }

    /// <summary>The AI request within the tenant's caps and budget (what a connector gets; none of them trims it again).</summary>
    private AiRequest Request(TenantOptions tenant, AiPurpose purpose)
    {
        var request = PromptBudget.Request(key, tenant, state.Transcript, state.Context, purpose, out var trimmed);
        if (trimmed.Any) LogPromptTrimmed(key, trimmed.DroppedEntries, trimmed.DroppedFacts, trimmed.CutTexts, tenant.Ai.MaxPromptChars);
        return request;
    }

    private void ApplyOwnership(Ownership ownership, ConversationEvent e)
    {
        if (ownership == Ownership.Unknown) return;
        // Deliveries can arrive out of order: a signal older than the last mode change says nothing new.
        if (state.ModeSince is { } since && e.OccurredAt != default && e.OccurredAt < since) return;
        switch (ownership)
        {
            case Ownership.Bot when state.Mode != ConversationMode.Bot:
                // After our own handoff the platform may not have caught up yet: only an explicit status change, or a
                // message once the platform confirmed the human side, pushes the conversation back.
                if (state.AwaitingHumanConfirmation && e.Kind != EventKind.StatusChanged) return;
                StartBotEpisode(e.OccurredAt, "pushed back to the bot");
                break;
            case Ownership.Human:
                state.AwaitingHumanConfirmation = false;
                if (state.Mode != ConversationMode.Human)
                {
                    SetMode(ConversationMode.Human, e.OccurredAt);
                    state.AwaitingReply = false;
                }
                break;
            case Ownership.Ended when state.Mode != ConversationMode.Resolved:
                SetMode(ConversationMode.Resolved, e.OccurredAt);
                state.AwaitingReply = false;
                break;
        }
    }

    private void StartBotEpisode(DateTimeOffset at, string why)
    {
        SetMode(ConversationMode.Bot, at);
        state.BotTurns = 0;
        state.AiFailures = 0;
        state.ConsecutiveSupersedes = 0;
        state.AwaitingReply = false;
        state.AwaitingHumanConfirmation = false;
        state.ContextLoaded = false;
        state.EpisodeStartedAt = at == default ? time.GetUtcNow() : at;
        LogBotEpisode(key, why);
    }

    private void HumanTookOver(ConversationEvent e, IPlatformConversation platform, ConversationScope scope, List<NewOutboxMessage> actions, bool emitTakeover)
    {
        SetMode(ConversationMode.Human, e.OccurredAt);
        state.AwaitingReply = false;
        LogHumanTookOver(key, e.Type);
        if (!emitTakeover) return;
        var takeover = platform.BuildTakeover(scope);
        if (takeover.Count == 0) return;
        state.AwaitingHumanConfirmation = true;
        actions.AddRange(takeover);
    }

    private void HandOff(string reason, string cause, IPlatformConversation platform, ConversationScope scope, List<NewOutboxMessage> actions, bool sayGoodbye = true, string? topic = null)
    {
        var tenant = scope.Tenant;
        var now = time.GetUtcNow();
        // Business hours need a word to the customer: not when the bot's replies cannot reach them (sayGoodbye false).
        var outside = sayGoodbye ? OutsideHours.At(tenant, now, platform.PolicyFor(tenant).CanSnooze) : null;
        if (outside is not null) state.LastOutsideHours = new OutsideHoursRecord(now, outside.Action, outside.NextOpening);
        if (outside is { Action: OutsideHoursAction.KeepWithBot })
        {
            KeepWithBot(reason, cause, outside, platform, scope, actions);
            return;
        }

        metrics?.Handoffs.Add(1, new KeyValuePair<string, object?>("tenant", key.Tenant), new KeyValuePair<string, object?>("reason", cause));
        var summary = HandoffSummary.Build(state);
        // The bot's last public reply, before the note and the ownership change (peers say goodbye too). Outside
        // business hours it says when people are back instead.
        if (sayGoodbye) SayAsBot(outside is null ? tenant.Handoff.Message : outside.Message, platform, scope, actions);
        if (outside is not null)
            reason += outside.Action == OutsideHoursAction.Snooze
                ? $" (outside business hours: snoozed until {outside.NextOpeningText})"
                : $" (outside business hours: people are back {outside.NextOpeningText})";
        var route = HandoffRouting.Match(tenant.Handoff.Routes, cause, topic);
        SetMode(ConversationMode.Human, state.LastEventAt ?? now);
        state.AwaitingReply = false;
        state.AwaitingHumanConfirmation = true;
        state.LastHandoffReason = reason;
        state.LastHandoffCause = cause;
        state.LastHandoffAt = now;
        state.LastHandoffRoute = route is { } r ? HandoffRouting.Record(r.Index, r.Route) : null;
        LogHandoff(key, reason);
        actions.AddRange(platform.BuildHandoff(scope, new HandoffRequest(reason, summary, route?.Route,
            outside is { Action: OutsideHoursAction.Snooze } ? outside.NextOpening : null, OutsideBusinessHours: outside is not null)));
    }

    /// <summary>
    /// BusinessHours:OutsideAction=KeepWithBot: the customer is told when people are back and the bot goes on, its
    /// inactivity countdown started as after an answer. A turn limit starts counting again, else every later message would hit it.
    /// </summary>
    private void KeepWithBot(string reason, string cause, OutsideHours outside, IPlatformConversation platform, ConversationScope scope, List<NewOutboxMessage> actions)
    {
        SayAsBot(outside.Message, platform, scope, actions);
        state.AwaitingReply = false;
        // The bot had the last word, as after an answer: the inactivity countdown starts.
        if (!string.IsNullOrWhiteSpace(outside.Message)) state.Inactivity = Inactivity.Arm(scope.Tenant.Lifecycle, time.GetUtcNow());
        if (cause == HandoffCause.MaxBotTurns) state.BotTurns = 0;
        LogKeptOutsideHours(key, reason, outside.NextOpeningText);
    }

    private void SayAsBot(string? text, IPlatformConversation platform, ConversationScope scope, List<NewOutboxMessage> actions)
    {
        if (string.IsNullOrWhiteSpace(text)) return;
        var window = Math.Max(scope.Tenant.Ai.MaxContextMessages, MinTranscriptWindow);
        state.AddToTranscript(new TranscriptEntry(TranscriptRole.Bot, text, Later(time.GetUtcNow(), state.LastEventAt), "bot"), window, scope.Tenant.Ai.MaxMessageChars);
        actions.AddRange(platform.BuildReply(scope, AiReply.Text(text)));
    }

    private void SetMode(ConversationMode mode, DateTimeOffset at)
    {
        state.Inactivity = null; // whoever owns it now, the bot's countdown is over
        state.Mode = mode;
        if (at != default) state.ModeSince = at;
    }

    private async ValueTask TypingAsync(IPlatformConversation platform, ConversationScope scope, bool on, CancellationToken cancellationToken)
    {
        try { await platform.SetTypingAsync(scope, on, cancellationToken); }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            LogTypingFailed(key, ex.Message);
        }
    }

    private List<ConversationEvent> Parse(IReadOnlyList<InboxMessage> messages)
    {
        var events = new List<ConversationEvent>(messages.Count);
        foreach (var message in messages)
        {
            try { events.Add(ConversationEventJson.Deserialize(message.Body.Span)); }
            catch (JsonException ex) { LogBadEvent(key, message.Sequence, ex.Message); }
        }
        // Platforms deliver concurrently; inbox order wins for equal times (OrderBy is stable).
        return [.. events.OrderBy(e => e.OccurredAt)];
    }

    private static DateTimeOffset Later(DateTimeOffset a, DateTimeOffset? b) => b is { } v && v > a ? v : a;

    [LoggerMessage(LogLevel.Warning, "Events for unknown tenant {Tenant} dropped ({Count}).")]
    private partial void LogUnknownTenant(string tenant, int count);

    [LoggerMessage(LogLevel.Error, "No platform conversation registered for {Platform} (tenant {Tenant}).")]
    private partial void LogNoPlatform(PlatformKind platform, string tenant);

    [LoggerMessage(LogLevel.Warning, "Skipping unreadable inbox event {Sequence} of {Key}: {Error}")]
    private partial void LogBadEvent(ConversationKey key, long sequence, string error);

    [LoggerMessage(LogLevel.Warning, "Context fetch failed for {Key}; answering without it.")]
    private partial void LogContextFailed(Exception ex, ConversationKey key);

    [LoggerMessage(LogLevel.Warning, "AI failed for {Key}: {Error}; handing off.")]
    private partial void LogAiFailed(ConversationKey key, string error);

    [LoggerMessage(LogLevel.Information, "Assist suggestion failed for {Key}: {Error}")]
    private partial void LogAssistFailed(ConversationKey key, string error);

    [LoggerMessage(LogLevel.Information, "Reply for {Key} superseded by newer messages ({Count} in a row).")]
    private partial void LogSuperseded(ConversationKey key, int count);

    [LoggerMessage(LogLevel.Information, "Reply for {Key} dropped: a human took the conversation while the AI was thinking.")]
    private partial void LogOvertakenByHuman(ConversationKey key);

    [LoggerMessage(LogLevel.Information, "{Key} handed off: {Reason}")]
    private partial void LogHandoff(ConversationKey key, string reason);

    [LoggerMessage(LogLevel.Information, "{Key} kept with the bot outside business hours ({Reason}); people are back {NextOpening}.")]
    private partial void LogKeptOutsideHours(ConversationKey key, string reason, string nextOpening);

    [LoggerMessage(LogLevel.Information, "{Key}: a human took over ({EventType}); the bot stands down.")]
    private partial void LogHumanTookOver(ConversationKey key, string eventType);

    [LoggerMessage(LogLevel.Information, "{Key}: bot episode starts ({Why}).")]
    private partial void LogBotEpisode(ConversationKey key, string why);

    [LoggerMessage(LogLevel.Debug, "AI request for {Key} trimmed to Ai:MaxPromptChars={Budget}: {DroppedEntries} oldest transcript entries and {DroppedFacts} facts left out, {CutTexts} texts cut at Ai:MaxMessageChars")]
    private partial void LogPromptTrimmed(ConversationKey key, int droppedEntries, int droppedFacts, int cutTexts, int budget);

    [LoggerMessage(LogLevel.Debug, "Typing indicator failed for {Key}: {Error}")]
    private partial void LogTypingFailed(ConversationKey key, string error);
}
