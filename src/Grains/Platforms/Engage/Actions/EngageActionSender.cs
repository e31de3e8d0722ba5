using System.Net;
using System.Text.Json;
using Conversations.Grains.Conversation;
using Conversations.Grains.Platforms.Engage.Api;
using Microsoft.Extensions.Logging;

namespace Conversations.Grains.Platforms.Engage.Actions;

/// <summary>
/// Performs committed Engage actions. Maps failures to the outbox's vocabulary: 429, 5xx, timeouts
/// and network errors are retried later (honoring Retry-After); 403 <c>cant_reply_to_closed_thread</c>
/// and other 4xx are permanent and get parked.
/// </summary>
public sealed partial class EngageActionSender(
    EngageApiClients clients,
    EngageDirectory directory,
    EngageClientOptions options,
    EngageMetrics metrics,
    TimeProvider time,
    ILogger<EngageActionSender> logger) : IPlatformActionSender
{
    public PlatformKind Platform => PlatformKind.Engage;

    public async ValueTask<SendOutcome> SendAsync(TenantOptions tenant, ConversationKey key, OutboxMessage message, CancellationToken cancellationToken)
    {
        if (!EngageApiClients.CanCall(tenant)) return SendOutcome.Failed($"Engage tenant '{tenant.Id}' has no BaseUrl or ApiToken.");
        var api = clients.For(tenant);
        try
        {
            switch (message.Kind)
            {
                case EngageActionKinds.Reply:
                    await ReplyAsync(api, key, EngageActionKinds.Read<EngageReplyAction>(message.Payload), cancellationToken).ConfigureAwait(false);
                    break;
                case EngageActionKinds.OpenIntervention:
                    await OpenInterventionAsync(api, key, EngageActionKinds.Read<EngageOpenInterventionAction>(message.Payload), cancellationToken).ConfigureAwait(false);
                    break;
                case EngageActionKinds.Handoff:
                    await HandoffAsync(api, tenant, key, EngageActionKinds.Read<EngageHandoffAction>(message.Payload), cancellationToken).ConfigureAwait(false);
                    break;
                case EngageActionKinds.HoldingIfNoAgent:
                    await HoldingIfNoAgentAsync(api, tenant, key, EngageActionKinds.Read<EngageHoldingIfNoAgentAction>(message.Payload), cancellationToken).ConfigureAwait(false);
                    break;
                case EngageActionKinds.Resolve:
                    await ResolveAsync(api, tenant, key, EngageActionKinds.Read<EngageResolveAction>(message.Payload), cancellationToken).ConfigureAwait(false);
                    break;
                case EngageActionKinds.ReturnToBot:
                    var back = EngageActionKinds.Read<EngageReturnToBotAction>(message.Payload);
                    await RecategorizeAsync(api, key.ConversationId, remove: back.CategoryId ?? tenant.Engage.AgentCategoryId, add: tenant.Engage.BotCategoryId, cancellationToken).ConfigureAwait(false);
                    break;
                default:
                    return SendOutcome.Failed($"Unknown Engage action '{message.Kind}'.");
            }
            return SendOutcome.Sent;
        }
        catch (EngageApiException ex) when (ex.Transient)
        {
            LogRetry(logger, key.Tenant, key.ConversationId, message.Kind, (int)ex.Status, ex.Error ?? "");
            return SendOutcome.Retry(ex.Message, ex.RetryAfter);
        }
        catch (EngageApiException ex)
        {
            LogPermanent(logger, key.Tenant, key.ConversationId, message.Kind, (int)ex.Status, ex.Error ?? "");
            return SendOutcome.Failed(ex.Message);
        }
        catch (Exception ex) when (ex is HttpRequestException or TimeoutException)
        {
            LogRetry(logger, key.Tenant, key.ConversationId, message.Kind, 0, ex.GetType().Name);
            return SendOutcome.Retry($"Engage {message.Kind}: {ex.Message}");
        }
        catch (JsonException ex)
        {
            return SendOutcome.Failed($"Unreadable {message.Kind} payload: {ex.Message}");
        }
    }

    private async Task ReplyAsync(EngageApiClient api, ConversationKey key, EngageReplyAction reply, CancellationToken cancellationToken)
    {
        var content = await api.CreateReplyAsync(reply.InReplyToId, reply.Body, cancellationToken, reply.Private).ConfigureAwait(false);
        directory.LearnOwnContent(key.Tenant, content.CreatorId, content.AuthorId);
        metrics.Reply(key.Tenant);
    }

    private async Task OpenInterventionAsync(EngageApiClient api, ConversationKey key, EngageOpenInterventionAction open, CancellationToken cancellationToken)
    {
        try
        {
            var intervention = await api.CreateInterventionAsync(open.ContentId, cancellationToken).ConfigureAwait(false);
            directory.LearnOwnContent(key.Tenant, intervention.UserId, null); // its owner is the bot, also without BotIdentity
        }
        catch (EngageApiException ex) when (ex.Status == HttpStatusCode.UnprocessableEntity)
        {
            // 422: already open (or cannot be opened). The reply that follows tells whether it matters.
            LogInterventionNotOpened(logger, key.Tenant, key.ConversationId, ex.Error ?? "");
        }
    }

    /// <summary>Engage's routing rule: an agent can take work when a channel is available and not full.</summary>
    private async Task HoldingIfNoAgentAsync(EngageApiClient api, TenantOptions tenant, ConversationKey key, EngageHoldingIfNoAgentAction holding, CancellationToken cancellationToken)
    {
        var agents = holding.CategoryId ?? tenant.Engage.AgentCategoryId;
        var categories = string.IsNullOrEmpty(agents) ? [] : new[] { agents };
        var sources = string.IsNullOrEmpty(holding.SourceId) ? [] : new[] { holding.SourceId };
        var available = await api.GetAgentStatusAsync(categories, sources, cancellationToken).ConfigureAwait(false);
        if (available.Any(a => (a.Channels ?? []).Any(c => c.CanTakeWork))) return;
        LogNoAgent(logger, key.Tenant, key.ConversationId);
        await api.CreateReplyAsync(holding.InReplyToId, holding.Message, cancellationToken, holding.Private).ConfigureAwait(false);
    }

    private async Task HandoffAsync(EngageApiClient api, TenantOptions tenant, ConversationKey key, EngageHandoffAction handoff, CancellationToken cancellationToken)
    {
        if (handoff.BotIntervention) await EndBotInterventionAsync(api, tenant, key, handoff.InterventionId, handoff.BotReplied, handoff.Summary, cancellationToken).ConfigureAwait(false);
        await RecategorizeAsync(api, key.ConversationId, remove: tenant.Engage.BotCategoryId, add: handoff.CategoryId ?? tenant.Engage.AgentCategoryId, cancellationToken).ConfigureAwait(false);
        metrics.Handoff(key.Tenant);
        LogHandedOff(logger, key.Tenant, key.ConversationId, handoff.Reason);
    }

    /// <summary>
    /// Inactivity: Engage's bot guide closes the bot's intervention "when the bot has finished or the customer has
    /// left"; closing the thread is the tenant's choice (Engage:CloseThreadOnResolve).
    /// </summary>
    private async Task ResolveAsync(EngageApiClient api, TenantOptions tenant, ConversationKey key, EngageResolveAction resolve, CancellationToken cancellationToken)
    {
        if (resolve.BotIntervention) await EndBotInterventionAsync(api, tenant, key, resolve.InterventionId, resolve.BotReplied, null, cancellationToken).ConfigureAwait(false);
        if (resolve.CloseThread)
        {
            try
            {
                await api.CloseThreadAsync(key.ConversationId, cancellationToken).ConfigureAwait(false);
            }
            catch (EngageApiException ex) when (ex.Status is HttpStatusCode.Forbidden or HttpStatusCode.NotFound)
            {
                // Only some source types can be closed, and not by every user: the intervention is what ends the bot's part.
                LogThreadNotClosed(logger, key.Tenant, key.ConversationId, (int)ex.Status, ex.Error ?? "");
            }
        }
        LogResolved(logger, key.Tenant, key.ConversationId);
    }

    /// <summary>Engage's bot guide: close the bot's intervention when it replied in it, cancel it when it did not.</summary>
    private async Task EndBotInterventionAsync(EngageApiClient api, TenantOptions tenant, ConversationKey key, string? knownId, bool botReplied, string? comment, CancellationToken cancellationToken)
    {
        var ids = new List<string>();
        if (!string.IsNullOrEmpty(knownId)) ids.Add(knownId);
        else if (!string.IsNullOrEmpty(tenant.BotIdentity))
        {
            var open = await api.GetInterventionsAsync(key.ConversationId, tenant.BotIdentity, "active", cancellationToken).ConfigureAwait(false);
            ids.AddRange(open.Records.Where(i => i.Closed != true && (i.UserId is null || i.UserId == tenant.BotIdentity)).Select(i => i.Id));
        }
        foreach (var id in ids)
        {
            await CommentAsync(id).ConfigureAwait(false);
            if (await TryEndAsync(close: botReplied).ConfigureAwait(false)) continue;
            await TryEndAsync(close: !botReplied).ConfigureAwait(false);

            // The agent's context (Engage's intervention comments): best effort, a refused comment does not stop the handoff.
            async Task CommentAsync(string interventionId)
            {
                if (string.IsNullOrWhiteSpace(comment)) return;
                try
                {
                    await api.CreateInterventionCommentAsync(interventionId, comment, cancellationToken).ConfigureAwait(false);
                }
                catch (EngageApiException ex) when (!ex.Transient)
                {
                    LogInterventionNotEnded(logger, key.Tenant, key.ConversationId, "comment", ex.Error ?? ex.Status.ToString());
                }
            }

            async Task<bool> TryEndAsync(bool close)
            {
                try
                {
                    if (close) await api.CloseInterventionAsync(id, cancellationToken).ConfigureAwait(false);
                    else await api.CancelInterventionAsync(id, cancellationToken).ConfigureAwait(false);
                    return true;
                }
                catch (EngageApiException ex) when (ex.Status is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
                {
                    return true; // already closing/cancelling, or gone
                }
                catch (EngageApiException ex) when (ex.Status == HttpStatusCode.Forbidden)
                {
                    // Close needs agent replies, cancel needs none: the other one may apply.
                    LogInterventionNotEnded(logger, key.Tenant, key.ConversationId, close ? "close" : "cancel", ex.Error ?? "forbidden");
                    return false;
                }
            }
        }
    }

    /// <summary>
    /// Read-modify-write of the thread's own categories (<c>update_categories</c> replaces the set,
    /// a known pitfall of Engage bots); 409 means a categorization is running, so it is retried after a pause.
    /// </summary>
    private async Task RecategorizeAsync(EngageApiClient api, string threadId, string? remove, string? add, CancellationToken cancellationToken)
    {
        for (var attempt = 1; ; attempt++)
        {
            var thread = await api.GetThreadAsync(threadId, cancellationToken).ConfigureAwait(false);
            var current = thread.ThreadCategoryIds ?? [];
            var next = current.Where(c => c != remove).Distinct(StringComparer.Ordinal).ToList();
            if (!string.IsNullOrEmpty(add) && !next.Contains(add, StringComparer.Ordinal)) next.Add(add);
            if (next.SequenceEqual(current, StringComparer.Ordinal)) return;
            try
            {
                await api.UpdateThreadCategoriesAsync(threadId, next, cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (EngageApiException ex) when (ex.Status == HttpStatusCode.Conflict && attempt < options.CategoryConflictAttempts)
            {
                LogCategoryConflict(logger, api.Tenant, threadId, attempt);
                await Task.Delay(options.CategoryConflictDelay * attempt, time, cancellationToken).ConfigureAwait(false);
            }
            catch (EngageApiException ex) when (ex.Status == HttpStatusCode.Conflict)
            {
                throw new EngageApiException(HttpStatusCode.ServiceUnavailable, "categorization_in_progress", ex.Message, options.CategoryConflictDelay * attempt, "PUT /content_threads/{id}/update_categories");
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Engage {Kind} for {Tenant}/{Thread} will be retried: {Status} {Error}")]
    private static partial void LogRetry(ILogger logger, string tenant, string thread, string kind, int status, string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Engage {Kind} for {Tenant}/{Thread} failed permanently: {Status} {Error}")]
    private static partial void LogPermanent(ILogger logger, string tenant, string thread, string kind, int status, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Engage intervention not opened for {Tenant}/{Thread}: {Error}")]
    private static partial void LogInterventionNotOpened(ILogger logger, string tenant, string thread, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Engage intervention {Operation} refused for {Tenant}/{Thread}: {Error}")]
    private static partial void LogInterventionNotEnded(ILogger logger, string tenant, string thread, string operation, string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "No Engage agent available for {Tenant}/{Thread}: holding message sent before the handoff")]
    private static partial void LogNoAgent(ILogger logger, string tenant, string thread);

    [LoggerMessage(Level = LogLevel.Information, Message = "Engage thread {Tenant}/{Thread} handed to agents: {Reason}")]
    private static partial void LogHandedOff(ILogger logger, string tenant, string thread, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Engage thread {Tenant}/{Thread} resolved after the customer's inactivity")]
    private static partial void LogResolved(ILogger logger, string tenant, string thread);

    [LoggerMessage(Level = LogLevel.Information, Message = "Engage thread {Tenant}/{Thread} left open: close answered {Status} {Error}")]
    private static partial void LogThreadNotClosed(ILogger logger, string tenant, string thread, int status, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Engage update_categories on {Tenant}/{Thread} answered 409 (attempt {Attempt}); retrying")]
    private static partial void LogCategoryConflict(ILogger logger, string tenant, string thread, int attempt);
}
