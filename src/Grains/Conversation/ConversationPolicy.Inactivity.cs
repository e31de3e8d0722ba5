using Conversations.Grains.Ai;
using Microsoft.Extensions.Logging;

namespace Conversations.Grains.Conversation;

/// <summary>
/// The inactivity part of the policy (<see cref="LifecycleOptions"/>): the turn the host runs when a
/// countdown falls due. The countdown itself is armed by the bot's answer and cancelled by a
/// customer message or any change of mode (<c>RunTurnAsync</c>).
/// </summary>
public sealed partial class ConversationPolicy
{
    public ValueTask<TurnResult> RunDueAsync(CancellationToken cancellationToken)
    {
        var actions = new List<NewOutboxMessage>();
        var tenant = tenants.Find(key.Tenant);
        var platform = tenant is null ? null : platforms.Find(tenant.Platform);
        if (tenant is null || platform is null || state.Mode != ConversationMode.Bot)
        {
            // Nobody to act for, or no longer the bot's to close: the countdown has no step left.
            state.Inactivity = null;
            return ValueTask.FromResult(Result(actions));
        }

        var scope = new ConversationScope(key, tenant, state);
        var now = time.GetUtcNow();
        switch (Inactivity.Due(state.Inactivity, now))
        {
            case InactivityStep.FollowUp:
                FollowUp(tenant.Lifecycle, platform, scope, now, actions);
                break;
            case InactivityStep.Resolve:
                ResolveInactive(tenant.Lifecycle, platform, scope, actions);
                break;
        }
        return ValueTask.FromResult(Result(actions));
    }

    private void FollowUp(LifecycleOptions options, IPlatformConversation platform, ConversationScope scope, DateTimeOffset now, List<NewOutboxMessage> actions)
    {
        var countdown = state.Inactivity!;
        if (!options.FollowsUp)
        {
            countdown.FollowUpAt = null; // switched off since it was armed
        }
        else
        {
            SayAsBot(options.FollowUpMessage, platform, scope, actions);
            Inactivity.FollowedUp(countdown, options, now);
            CountInactivity("follow_up");
            LogFollowedUp(key, countdown.ResolveAt);
        }
        if (countdown.ResolveAt is null) state.Inactivity = null;
    }

    private void ResolveInactive(LifecycleOptions options, IPlatformConversation platform, ConversationScope scope, List<NewOutboxMessage> actions)
    {
        var since = state.Inactivity!.Since;
        state.Inactivity = null;
        if (!options.Resolves) return; // switched off since it was armed
        if (!string.IsNullOrWhiteSpace(options.ResolveMessage)) SayAsBot(options.ResolveMessage, platform, scope, actions);
        actions.AddRange(platform.BuildResolve(scope));
        // Platform time, like a handoff: a human's reply sent just before but delivered after still counts.
        SetMode(ConversationMode.Resolved, state.LastEventAt ?? time.GetUtcNow());
        state.AwaitingReply = false;
        state.AwaitingHumanConfirmation = false;
        CountInactivity("resolve");
        LogResolvedInactive(key, since);
    }

    private void CountInactivity(string step) =>
        metrics?.InactivitySteps.Add(1, new KeyValuePair<string, object?>("tenant", key.Tenant), new KeyValuePair<string, object?>("step", step));

    [LoggerMessage(LogLevel.Information, "{Key}: no answer from the customer; the bot follows up (resolve due {ResolveAt}).")]
    private partial void LogFollowedUp(ConversationKey key, DateTimeOffset? resolveAt);

    [LoggerMessage(LogLevel.Information, "{Key}: no answer from the customer since the bot's answer at {Since}; the bot resolves the conversation.")]
    private partial void LogResolvedInactive(ConversationKey key, DateTimeOffset since);
}
