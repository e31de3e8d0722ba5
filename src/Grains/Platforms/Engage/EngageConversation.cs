using Conversations.Engage;
using Conversations.Grains.Ai;
using Conversations.Grains.Conversation;
using Conversations.Grains.Platforms.Engage.Actions;
using Conversations.Grains.Platforms.Engage.Api;
using Microsoft.Extensions.Logging;

namespace Conversations.Grains.Platforms.Engage;

/// <summary>
/// Engage Digital's side of the conversation grain (Engage's bot guide). Ownership is the thread's
/// category: BOT = the bot, anything else = humans, and an intervention owned by a human agent keeps
/// the bot quiet until it closes. Replies are <c>POST /contents</c> (an intervention opened first on a
/// thread's first content); handoff ends the bot's intervention and moves the thread from BOT to AGENT.
/// </summary>
public sealed partial class EngageConversation(
    EngageApiClients clients,
    EngageDirectory directory,
    EngageMetrics metrics,
    ILogger<EngageConversation> logger) : IPlatformConversation
{
    /// <summary>
    /// After the bot's own handoff, a BOT category on a new import may just be Engage not having
    /// applied the recategorization yet; past this delay it is an agent giving the thread back.
    /// </summary>
    public static readonly TimeSpan HandoffSettleTime = TimeSpan.FromMinutes(2);

    private const int MaxSeenContents = 40;
    private const int MaxKnownInterventions = 10;
    private const int MaxReplyLength = 4000;

    public PlatformKind Platform => PlatformKind.Engage;

    /// <summary>Engage replies are posted per customer content: a burst is answered once, in reply to its last content.</summary>
    public PlatformPolicy PolicyFor(TenantOptions tenant) => new(BurstPolicy.Supersede, Assist: false);

    /// <summary>A failed read of Engage's reference data: the event goes on with what the payload says.</summary>
    private static bool IsLookupFailure(Exception ex) =>
        ex is EngageApiException or HttpRequestException or TimeoutException or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException;

    public async ValueTask<ConversationEvent?> PrepareAsync(ConversationScope scope, ConversationEvent e, CancellationToken cancellationToken)
    {
        var author = e.Data.GetValueOrDefault(EngageEventData.AuthorId);
        // The bot's own contents come back as content.replied/exported; without BotIdentity the gateway cannot tell them from an agent's.
        if (e.Kind == EventKind.AgentMessage && (directory.IsLearnedBotId(scope.Key.Tenant, e.Data.GetValueOrDefault(EngageEventData.UserId)) || directory.IsLearnedBotId(scope.Key.Tenant, author)))
            return e with { Kind = EventKind.BotEcho };
        if (e.Type == EngageEventTypes.ContentExported && e.Data.GetValueOrDefault(EngageEventData.SynchronizationStatus) == "unsuccessful" && IsOwn(scope, e))
            return await PrepareFailedDeliveryAsync(scope, e, cancellationToken);
        if (e.Type != EngageEventTypes.ContentImported || e.Kind != EventKind.CustomerMessage || !EngageApiClients.CanCall(scope.Tenant)) return e;
        if (directory.IsLearnedBotId(scope.Key.Tenant, author)) return e with { Kind = EventKind.BotEcho };
        var api = clients.For(scope.Tenant);
        await LearnInterventionOwnerAsync(api, scope, e, cancellationToken);
        try
        {
            // Rule 3: the bot's own identities (its replies may come back as imports on some sources).
            if (!string.IsNullOrEmpty(author) && (await directory.GetBotIdentityIdsAsync(api, scope.Tenant, cancellationToken)).Contains(author))
                return e with { Kind = EventKind.BotEcho };
            if (!string.IsNullOrEmpty(author) && await directory.GetIdentityAsync(api, author, cancellationToken) is { } identity)
            {
                // Rule 6: an identity linked to an agent is not a customer.
                if (identity.UserIds is { Count: > 0 }) return e with { Kind = EventKind.Other };
                if (identity.BestName is { } name) scope.State.Context[EngageStateKeys.CustomerName] = name;
            }
            // Pitfall 15: category_ids missing (or empty) in the payload; the content's record has them, else the thread's.
            if (e.PlatformStatus is null && e.Data.GetValueOrDefault(EngageEventData.ContentId) is { Length: > 0 } contentId)
            {
                var content = await api.GetContentAsync(contentId, cancellationToken);
                var categories = content.CategoryIds is { Count: > 0 } own ? own : (await api.GetThreadAsync(scope.Key.ConversationId, cancellationToken)).CategoryIds ?? [];
                var bot = scope.Tenant.Engage.BotCategoryId;
                var status = string.IsNullOrEmpty(bot) || categories.Contains(bot) ? EngageEventData.StatusBot : EngageEventData.StatusAgent;
                return e with { PlatformStatus = status, Data = WithPrivacy(e.Data, content) };
            }
        }
        catch (Exception ex) when (IsLookupFailure(ex))
        {
            // Reference data is an aid: the gateway already applied the payload's filters, so carry on without it.
            LogLookupFailed(scope.Key, ex.Message);
        }
        return e;
    }

    private bool IsOwn(ConversationScope scope, ConversationEvent e)
    {
        var tenant = scope.Tenant;
        foreach (var id in (ReadOnlySpan<string?>)[e.Data.GetValueOrDefault(EngageEventData.CreatorId), e.Data.GetValueOrDefault(EngageEventData.UserId), e.Data.GetValueOrDefault(EngageEventData.AuthorId)])
            if (!string.IsNullOrEmpty(id) && (id == tenant.BotIdentity || directory.IsLearnedBotId(tenant.Id, id))) return true;
        return false;
    }

    /// <summary>
    /// The bot's reply never reached the customer. Retry it once when Engage's error looks transient and its
    /// intervention is still open; otherwise a human takes over. Missing details come from <c>GET /contents/{id}</c>.
    /// </summary>
    private async Task<ConversationEvent> PrepareFailedDeliveryAsync(ConversationScope scope, ConversationEvent e, CancellationToken cancellationToken)
    {
        var data = new Dictionary<string, string>(e.Data);
        var body = e.Text;
        var replyTo = data.GetValueOrDefault(EngageEventData.InReplyToId);
        var error = data.GetValueOrDefault(EngageEventData.SynchronizationError);
        bool? interventionOpen = null;
        if (EngageApiClients.CanCall(scope.Tenant))
        {
            var api = clients.For(scope.Tenant);
            try
            {
                if ((string.IsNullOrEmpty(body) || string.IsNullOrEmpty(replyTo) || string.IsNullOrEmpty(error)) && data.GetValueOrDefault(EngageEventData.ContentId) is { Length: > 0 } contentId)
                {
                    var content = await api.GetContentAsync(contentId, cancellationToken);
                    if (string.IsNullOrEmpty(body) && content.Body is { } b) body = PlainText.Normalize(b, content.BodyInputFormat == "html");
                    if (string.IsNullOrEmpty(replyTo)) replyTo = content.InReplyToId;
                    if (string.IsNullOrEmpty(error)) error = content.SynchronizationError;
                    data = WithPrivacy(data, content);
                }
                if (data.GetValueOrDefault(EngageEventData.InterventionId) is { Length: > 0 } interventionId)
                    interventionOpen = (await api.GetInterventionAsync(interventionId, cancellationToken)).Closed != true;
            }
            catch (Exception ex) when (IsLookupFailure(ex))
            {
                LogLookupFailed(scope.Key, ex.Message); // decide with what the payload said
            }
        }
        var retried = EngageEventData.SplitIds(scope.State.Platform.GetValueOrDefault(EngageStateKeys.Redelivered)).Contains(replyTo ?? "");
        var retry = EngageDeliveryFailure.LooksTransient(error) && !retried && interventionOpen != false
            && !string.IsNullOrWhiteSpace(body) && !string.IsNullOrEmpty(replyTo);
        data[EngageDeliveryFailure.Decision] = retry ? EngageDeliveryFailure.Retry : EngageDeliveryFailure.Handoff;
        if (!string.IsNullOrEmpty(error)) data[EngageDeliveryFailure.Error] = error;
        if (retry)
        {
            data[EngageDeliveryFailure.Body] = body!;
            data[EngageDeliveryFailure.ReplyTo] = replyTo!;
        }
        LogDeliveryFailed(scope.Key, data.GetValueOrDefault(EngageEventData.ContentId) ?? "?", retry ? "retrying once" : "handing off", error ?? "no reason given");
        return e with { Data = data };
    }

    /// <summary>
    /// Engage guarantees neither delivery nor order: a content may name an intervention no event announced (a human's
    /// among them). Its owner is looked up once per conversation; a failed look-up leaves the payload to decide.
    /// </summary>
    private async Task LearnInterventionOwnerAsync(EngageApiClient api, ConversationScope scope, ConversationEvent e, CancellationToken cancellationToken)
    {
        var ids = scope.State.Platform;
        if (e.Data.GetValueOrDefault(EngageEventData.InterventionId) is not { Length: > 0 } id
            || id == ids.GetValueOrDefault(EngageStateKeys.BotInterventionId) || id == ids.GetValueOrDefault(EngageStateKeys.HumanIntervention)
            || KnownOwner(ids, id) is not null) return;
        string owner;
        try
        {
            var intervention = await api.GetInterventionAsync(id, cancellationToken);
            owner = intervention.Closed == true || string.IsNullOrEmpty(intervention.UserId) ? EngageStateKeys.OwnerNone
                : intervention.UserId == scope.Tenant.BotIdentity || directory.IsLearnedBotId(scope.Key.Tenant, intervention.UserId) ? EngageStateKeys.OwnerBot
                : EngageStateKeys.OwnerHuman;
        }
        catch (EngageApiException ex) when (ex.Status == System.Net.HttpStatusCode.NotFound)
        {
            owner = EngageStateKeys.OwnerNone; // gone, or not readable by the bot: nobody the bot must leave it to
        }
        catch (Exception ex) when (IsLookupFailure(ex))
        {
            LogLookupFailed(scope.Key, ex.Message);
            return;
        }
        var known = ParseOwners(ids).Where(p => p.Id != id).Append((Id: id, Owner: owner)).TakeLast(MaxKnownInterventions);
        ids[EngageStateKeys.InterventionOwners] = string.Join(',', known.Select(p => $"{p.Id}={p.Owner}"));
    }

    private static string? KnownOwner(Dictionary<string, string> ids, string interventionId) =>
        ParseOwners(ids).FirstOrDefault(p => p.Id == interventionId).Owner;

    private static IEnumerable<(string Id, string Owner)> ParseOwners(Dictionary<string, string> ids) =>
        EngageEventData.SplitIds(ids.GetValueOrDefault(EngageStateKeys.InterventionOwners))
            .Select(pair => pair.Split('=', 2))
            .Where(parts => parts.Length == 2)
            .Select(parts => (parts[0], parts[1]));

    private static void ForgetOwner(Dictionary<string, string> ids, string interventionId)
    {
        if (KnownOwner(ids, interventionId) is null) return;
        ids[EngageStateKeys.InterventionOwners] = string.Join(',', ParseOwners(ids).Where(p => p.Id != interventionId).Select(p => $"{p.Id}={p.Owner}"));
    }

    /// <summary>The payload's <c>private</c> when it had one, else the REST record's <c>private_message</c>.</summary>
    private static Dictionary<string, string> WithPrivacy(Dictionary<string, string> data, EngageContent content) =>
        data.ContainsKey(EngageEventData.Private) || content.PrivateMessage is not { } isPrivate
            ? data
            : new Dictionary<string, string>(data) { [EngageEventData.Private] = isPrivate ? "true" : "false" };

    public Ownership Fold(ConversationScope scope, ConversationEvent e)
    {
        var state = scope.State;
        var ids = state.Platform;
        var interventionId = e.Data.GetValueOrDefault(EngageEventData.InterventionId);
        if (e.Data.GetValueOrDefault(EngageEventData.SourceId) is { Length: > 0 } source) ids[EngageStateKeys.SourceId] = source;

        switch (e.Type)
        {
            case EngageEventTypes.ContentImported when e.Kind == EventKind.CustomerMessage:
                return FoldCustomerMessage(scope, e, interventionId);

            case EngageEventTypes.ContentImported or EngageEventTypes.ContentReplied or EngageEventTypes.ContentExported:
                Remember(ids, e.Data.GetValueOrDefault(EngageEventData.ContentId));
                if (e.Kind == EventKind.BotEcho && !string.IsNullOrEmpty(interventionId)) ids[EngageStateKeys.BotInterventionId] = interventionId;
                if (e.Kind == EventKind.AgentMessage && !string.IsNullOrEmpty(interventionId) && interventionId != ids.GetValueOrDefault(EngageStateKeys.BotInterventionId))
                    ids[EngageStateKeys.HumanIntervention] = interventionId;
                if (e.Data.GetValueOrDefault(EngageEventData.SynchronizationStatus) == "unsuccessful")
                {
                    metrics.UnsuccessfulExport(scope.Key.Tenant);
                    LogExportFailed(scope.Key, e.Data.GetValueOrDefault(EngageEventData.ContentId) ?? "?");
                }
                return e.Kind == EventKind.AgentMessage ? Ownership.Human : Ownership.Unknown;

            case EngageEventTypes.InterventionOpened or EngageEventTypes.InterventionAssigned or EngageEventTypes.InterventionUserUpdated:
                if (e.Kind == EventKind.HumanTookOver)
                {
                    if (!string.IsNullOrEmpty(interventionId)) ids[EngageStateKeys.HumanIntervention] = interventionId;
                    if (interventionId is not null && interventionId == ids.GetValueOrDefault(EngageStateKeys.BotInterventionId)) ids.Remove(EngageStateKeys.BotInterventionId);
                    state.PlatformStatus = EngageEventData.StatusAgent;
                    return Ownership.Human;
                }
                if (!string.IsNullOrEmpty(interventionId)) ids[EngageStateKeys.BotInterventionId] = interventionId;
                return Ownership.Unknown;

            case EngageEventTypes.InterventionClosed:
                var byHuman = e.Data.GetValueOrDefault(EngageEventData.UserId) is { Length: > 0 } owner && owner != scope.Tenant.BotIdentity;
                if (interventionId is not null && interventionId == ids.GetValueOrDefault(EngageStateKeys.HumanIntervention)) ids.Remove(EngageStateKeys.HumanIntervention);
                if (interventionId is not null && interventionId == ids.GetValueOrDefault(EngageStateKeys.BotInterventionId)) ForgetBotIntervention(ids);
                if (interventionId is not null) ForgetOwner(ids, interventionId); // a reopened one is looked up again
                if (byHuman && scope.Tenant.Engage.ReturnToBotOnClose && !ids.ContainsKey(EngageStateKeys.HumanIntervention))
                {
                    state.PlatformStatus = EngageEventData.StatusBot;
                    return Ownership.Bot;
                }
                return Ownership.Unknown;

            case EngageEventTypes.ContentThreadClosed:
                return Ownership.Ended;

            default:
                return Ownership.Unknown;
        }
    }

    private static Ownership FoldCustomerMessage(ConversationScope scope, ConversationEvent e, string? interventionId)
    {
        var state = scope.State;
        var ids = state.Platform;
        var contentId = e.Data.GetValueOrDefault(EngageEventData.ContentId);
        Remember(ids, contentId);
        // The reply answers the newest content by issued_at: a late retry of an older one does not move it.
        var newest = DateTimeOffset.TryParse(ids.GetValueOrDefault(EngageStateKeys.ReplyToAt), System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out var newestAt) ? newestAt : DateTimeOffset.MinValue;
        if (!string.IsNullOrEmpty(contentId) && e.OccurredAt >= newest)
        {
            ids[EngageStateKeys.ReplyTo] = contentId;
            ids[EngageStateKeys.ReplyToAt] = e.OccurredAt.ToString("O", System.Globalization.CultureInfo.InvariantCulture);
            // A reply takes the privacy of the content it answers: a public answer to a private message publishes it.
            if (e.Data.GetValueOrDefault(EngageEventData.Private) == "true") ids[EngageStateKeys.ReplyToPrivate] = "true";
            else ids.Remove(EngageStateKeys.ReplyToPrivate);
        }
        if (e.PlatformStatus is { Length: > 0 } status) state.PlatformStatus = status;

        if (!string.IsNullOrEmpty(interventionId))
        {
            ids.Remove(EngageStateKeys.ReopenIntervention); // Engage reopened one by itself
            // Under the bot's own intervention (its id may not be known yet), or under a human's; Engage said which
            // when no event had announced it.
            var owner = KnownOwner(ids, interventionId);
            var botOwns = ids.GetValueOrDefault(EngageStateKeys.BotInterventionId) == interventionId || owner == EngageStateKeys.OwnerBot
                || (owner is null && ids.GetValueOrDefault(EngageStateKeys.BotIntervention) == "true" && !ids.ContainsKey(EngageStateKeys.BotInterventionId));
            if (botOwns) ids[EngageStateKeys.BotInterventionId] = interventionId;
            else if (owner == EngageStateKeys.OwnerHuman) ids[EngageStateKeys.HumanIntervention] = interventionId;
            else if (owner is null && ids.GetValueOrDefault(EngageStateKeys.HumanIntervention) is null && e.PlatformStatus == EngageEventData.StatusAgent)
                ids[EngageStateKeys.HumanIntervention] = interventionId;
        }
        else
        {
            // A new content outside any intervention: whatever a human had open no longer covers the thread.
            ids.Remove(EngageStateKeys.HumanIntervention);
            // A thread's first content, or the first one after an inactivity resolve closed the bot's intervention.
            if ((e.Data.GetValueOrDefault(EngageEventData.FirstInThread) == "true" || ids.Remove(EngageStateKeys.ReopenIntervention)) && !string.IsNullOrEmpty(contentId))
                ids[EngageStateKeys.OpenOn] = contentId;
        }

        if (ids.ContainsKey(EngageStateKeys.HumanIntervention)) return Ownership.Human;
        switch (e.PlatformStatus)
        {
            case EngageEventData.StatusAgent:
                return Ownership.Human;
            case EngageEventData.StatusBot:
                // A BOT category well after our own handoff is an agent giving the thread back, not a stale payload.
                if (state.AwaitingHumanConfirmation && state.LastHandoffAt is { } at && e.OccurredAt > at + HandoffSettleTime)
                    state.AwaitingHumanConfirmation = false;
                return Ownership.Bot;
            default:
                return Ownership.Unknown;
        }
    }

    /// <summary>Reads the thread's recent contents once, so a conversation that started before the bot (or before a restart) has its context.</summary>
    public async ValueTask LoadContextAsync(ConversationScope scope, CancellationToken cancellationToken)
    {
        var state = scope.State;
        if (state.Platform.GetValueOrDefault(EngageStateKeys.HistoryLoaded) == "true" || !EngageApiClients.CanCall(scope.Tenant)) return;
        var api = clients.For(scope.Tenant);
        var limit = Math.Max(scope.Tenant.Ai.MaxContextMessages, ConversationPolicy.MinTranscriptWindow) + MaxSeenContents / 4;
        var history = await api.GetThreadContentsAsync(scope.Key.ConversationId, limit, cancellationToken);
        var botIdentities = await directory.GetBotIdentityIdsAsync(api, scope.Tenant, cancellationToken);
        state.Platform[EngageStateKeys.HistoryLoaded] = "true";

        var seen = EngageEventData.SplitIds(state.Platform.GetValueOrDefault(EngageStateKeys.SeenContents)).ToHashSet(StringComparer.Ordinal);
        var earliest = state.Transcript.Count > 0 ? state.Transcript.Min(t => t.At) : DateTimeOffset.MaxValue;
        var older = history.Records
            .Where(c => !seen.Contains(c.Id) && c.CreatedAt is { } at && at <= earliest && !string.IsNullOrWhiteSpace(c.Body) && c.ApprovalRequired != true)
            .OrderBy(c => c.CreatedAt)
            .Select(c => new TranscriptEntry(RoleOf(c, scope.Tenant, botIdentities), TranscriptText.Cap(PlainText.Normalize(c.Body, c.BodyInputFormat == "html"), scope.Tenant.Ai.MaxMessageChars), c.CreatedAt!.Value, c.AuthorId, "engage.content:" + c.Id))
            .ToList();
        if (older.Count == 0) return;
        var window = Math.Max(scope.Tenant.Ai.MaxContextMessages, ConversationPolicy.MinTranscriptWindow);
        var merged = older.Concat(state.Transcript).ToList();
        state.Transcript = merged.Skip(Math.Max(0, merged.Count - window)).ToList();
        LogHistoryLoaded(scope.Key, older.Count);
    }

    private static TranscriptRole RoleOf(EngageContent c, TenantOptions tenant, IReadOnlySet<string> botIdentities)
    {
        if ((c.AuthorId is not null && botIdentities.Contains(c.AuthorId)) || (c.CreatorId is not null && c.CreatorId == tenant.BotIdentity)) return TranscriptRole.Bot;
        if (!string.IsNullOrEmpty(c.CreatorId) || c.Status is "user_reply" or "user_initiated") return TranscriptRole.Agent;
        return TranscriptRole.Customer;
    }

    /// <summary>Engage has no typing indicator for API users.</summary>
    public ValueTask SetTypingAsync(ConversationScope scope, bool on, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public IReadOnlyList<NewOutboxMessage> BuildReply(ConversationScope scope, AiReply reply)
    {
        var ids = scope.State.Platform;
        if (ids.GetValueOrDefault(EngageStateKeys.ReplyTo) is not { Length: > 0 } replyTo) return [];
        var body = PlainText.Cap(ReplyText(reply), MaxReplyLength);
        if (body.Length == 0) return [];
        var actions = new List<NewOutboxMessage>();
        // Engage's bot guide: open the bot's intervention before its first reply, on a thread's first content without one.
        if (scope.Tenant.Engage.OpenIntervention && ids.GetValueOrDefault(EngageStateKeys.BotIntervention) != "true"
            && ids.GetValueOrDefault(EngageStateKeys.OpenOn) is { Length: > 0 } openOn)
        {
            actions.Add(EngageActionKinds.Create(EngageActionKinds.OpenIntervention, new EngageOpenInterventionAction(openOn)));
            ids[EngageStateKeys.BotIntervention] = "true";
            ids.Remove(EngageStateKeys.OpenOn);
        }
        actions.Add(EngageActionKinds.Create(EngageActionKinds.Reply, new EngageReplyAction(replyTo, body, ids.GetValueOrDefault(EngageStateKeys.ReplyToPrivate) == "true")));
        if (ids.GetValueOrDefault(EngageStateKeys.BotIntervention) == "true") ids[EngageStateKeys.BotReplied] = "true";
        return actions;
    }

    /// <summary>Plain text only (Engage's sources are plain text): HTML reduced, buttons and cards written out as lines.</summary>
    public static string ReplyText(AiReply reply)
    {
        var parts = new List<string>();
        foreach (var message in reply.Messages)
        {
            var lines = new List<string>();
            if (!string.IsNullOrWhiteSpace(message.Text)) lines.Add(PlainText.Normalize(message.Text));
            lines.AddRange(message.ButtonList.Select((b, i) => $"{i + 1}. {PlainText.Normalize(b.Title)}"));
            foreach (var card in message.CardList)
            {
                lines.Add(PlainText.Normalize(card.Title) + (string.IsNullOrWhiteSpace(card.Description) ? "" : " - " + PlainText.Normalize(card.Description)));
                lines.AddRange((card.Actions ?? []).Where(a => a.Uri is not null).Select(a => $"{PlainText.Normalize(a.Text)}: {a.Uri}"));
            }
            if (lines.Count > 0) parts.Add(string.Join("\n", lines));
        }
        return string.Join("\n\n", parts).Trim();
    }

    /// <summary>Engage has no snooze: <see cref="HandoffRequest.SnoozeUntil"/> never comes (PlatformPolicy.CanSnooze is false).</summary>
    public IReadOnlyList<NewOutboxMessage> BuildHandoff(ConversationScope scope, HandoffRequest handoff)
    {
        var ids = scope.State.Platform;
        var actions = new List<NewOutboxMessage>();
        var category = string.IsNullOrWhiteSpace(handoff.Route?.CategoryId) ? null : handoff.Route.CategoryId.Trim();
        if (category is null) ids.Remove(EngageStateKeys.HandoffCategory);
        else ids[EngageStateKeys.HandoffCategory] = category;
        // Outside business hours the customer was just told when people are back: no "all agents are busy" on top.
        if (scope.Tenant.Engage.CheckAgentAvailability && scope.Tenant.Engage.NoAgentPolicy == NoAgentPolicy.HoldingMessage && !handoff.OutsideBusinessHours
            && ids.GetValueOrDefault(EngageStateKeys.ReplyTo) is { Length: > 0 } replyTo)
        {
            actions.Add(EngageActionKinds.Create(EngageActionKinds.HoldingIfNoAgent,
                new EngageHoldingIfNoAgentAction(replyTo, PlainText.Normalize(scope.Tenant.Engage.HoldingMessage), ids.GetValueOrDefault(EngageStateKeys.SourceId),
                ids.GetValueOrDefault(EngageStateKeys.ReplyToPrivate) == "true", category)));
        }
        actions.Add(EngageActionKinds.Create(EngageActionKinds.Handoff, new EngageHandoffAction(
            handoff.Reason,
            ids.GetValueOrDefault(EngageStateKeys.BotIntervention) == "true",
            ids.GetValueOrDefault(EngageStateKeys.BotInterventionId),
            ids.GetValueOrDefault(EngageStateKeys.BotReplied) == "true",
            PlainText.Cap($"Handed off to a human agent.\nReason: {handoff.Reason}\n\n{handoff.Summary}", MaxReplyLength),
            category)));
        ForgetBotIntervention(ids);
        scope.State.PlatformStatus = EngageEventData.StatusAgent;
        return actions;
    }

    /// <summary>Engage agents do not get AI suggestions through the proxy.</summary>
    public IReadOnlyList<NewOutboxMessage> BuildAssistNote(ConversationScope scope, AiReply suggestion) => [];

    /// <summary>An agent's reply already comes with the agent's intervention: Engage reflects the takeover by itself.</summary>
    public IReadOnlyList<NewOutboxMessage> BuildTakeover(ConversationScope scope) => [];

    /// <summary>
    /// Inactivity: the customer left. The bot's intervention ends (closed when it replied, cancelled when it did not),
    /// as Engage's bot guide says for a customer who left; the thread stays in BOT, so a customer who comes back is
    /// the bot's again (its next content opens a new intervention unless Engage reopened the old one), and is closed
    /// too with Engage:CloseThreadOnResolve.
    /// </summary>
    public IReadOnlyList<NewOutboxMessage> BuildResolve(ConversationScope scope)
    {
        var ids = scope.State.Platform;
        var interventionId = ids.GetValueOrDefault(EngageStateKeys.BotInterventionId);
        var resolve = new EngageResolveAction(
            ids.GetValueOrDefault(EngageStateKeys.BotIntervention) == "true" || !string.IsNullOrEmpty(interventionId),
            interventionId,
            ids.GetValueOrDefault(EngageStateKeys.BotReplied) == "true",
            scope.Tenant.Engage.CloseThreadOnResolve);
        var hadIntervention = ids.ContainsKey(EngageStateKeys.BotIntervention) || !string.IsNullOrEmpty(interventionId);
        ForgetBotIntervention(ids);
        if (hadIntervention && scope.Tenant.Engage.OpenIntervention) ids[EngageStateKeys.ReopenIntervention] = "true";
        // No intervention to end and no thread to close: an action would only be stored, sent as nothing and counted as sent.
        return resolve.BotIntervention || resolve.CloseThread ? [EngageActionKinds.Create(EngageActionKinds.Resolve, resolve)] : [];
    }

    /// <summary>
    /// ReturnToBotOnClose: when the agent's intervention closes, the thread goes back to BOT. A bot reply that could
    /// not be delivered is posted again, once, while the bot still owns the thread.
    /// </summary>
    public IReadOnlyList<NewOutboxMessage> BuildEventActions(ConversationScope scope, ConversationEvent e)
    {
        if (e.Data.GetValueOrDefault(EngageDeliveryFailure.Decision) == EngageDeliveryFailure.Retry)
        {
            if (scope.State.Mode != ConversationMode.Bot) return [];
            var ids = scope.State.Platform;
            var replyTo = e.Data[EngageDeliveryFailure.ReplyTo];
            ids[EngageStateKeys.Redelivered] = string.Join(',', EngageEventData.SplitIds(ids.GetValueOrDefault(EngageStateKeys.Redelivered)).Append(replyTo).TakeLast(MaxKnownInterventions));
            return [EngageActionKinds.Create(EngageActionKinds.Reply, new EngageReplyAction(replyTo, PlainText.Cap(e.Data[EngageDeliveryFailure.Body], MaxReplyLength),
                e.Data.GetValueOrDefault(EngageEventData.Private) == "true"))];
        }
        if (e.Type != EngageEventTypes.InterventionClosed || !scope.Tenant.Engage.ReturnToBotOnClose || scope.State.PlatformStatus != EngageEventData.StatusBot
            || e.Data.GetValueOrDefault(EngageEventData.UserId) is not { Length: > 0 } owner || owner == scope.Tenant.BotIdentity)
            return [];
        // The category the bot handed the thread to is the one to leave (a route's, else AGENT).
        var handedTo = scope.State.Platform.GetValueOrDefault(EngageStateKeys.HandoffCategory);
        scope.State.Platform.Remove(EngageStateKeys.HandoffCategory);
        return [EngageActionKinds.Create(EngageActionKinds.ReturnToBot, new EngageReturnToBotAction("intervention closed by the agent", handedTo))];
    }

    public string? HandoffReasonFor(ConversationScope scope, ConversationEvent e) =>
        e.Data.GetValueOrDefault(EngageDeliveryFailure.Decision) == EngageDeliveryFailure.Handoff
            ? $"the bot's reply could not be delivered ({e.Data.GetValueOrDefault(EngageDeliveryFailure.Error) ?? "Engage gave no reason"})"
            : null;

    private static void ForgetBotIntervention(Dictionary<string, string> ids)
    {
        ids.Remove(EngageStateKeys.BotIntervention);
        ids.Remove(EngageStateKeys.BotInterventionId);
        ids.Remove(EngageStateKeys.BotReplied);
        ids.Remove(EngageStateKeys.OpenOn);
    }

    private static void Remember(Dictionary<string, string> ids, string? contentId)
    {
        if (string.IsNullOrEmpty(contentId)) return;
        var seen = EngageEventData.SplitIds(ids.GetValueOrDefault(EngageStateKeys.SeenContents)).ToList();
        if (seen.Contains(contentId)) return;
        seen.Add(contentId);
        ids[EngageStateKeys.SeenContents] = string.Join(',', seen.TakeLast(MaxSeenContents));
    }

    [LoggerMessage(LogLevel.Warning, "Engage reference lookup failed for {Key}; continuing without it: {Error}")]
    private partial void LogLookupFailed(ConversationKey key, string error);

    [LoggerMessage(LogLevel.Warning, "Engage could not export content {ContentId} of {Key} (synchronization_status=unsuccessful).")]
    private partial void LogExportFailed(ConversationKey key, string contentId);

    [LoggerMessage(LogLevel.Warning, "Engage could not deliver the bot's reply {ContentId} of {Key}: {Decision} ({Error}).")]
    private partial void LogDeliveryFailed(ConversationKey key, string contentId, string decision, string error);

    [LoggerMessage(LogLevel.Debug, "Engage history for {Key}: {Count} earlier contents added to the transcript.")]
    private partial void LogHistoryLoaded(ConversationKey key, int count);
}
