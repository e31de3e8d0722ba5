using Conversations.Grains.Conversation;

namespace Conversations.Grains.Platforms.Chatwoot;

/// <summary>Sends one committed Chatwoot action and maps the HTTP result; the outbox relay retries or parks.</summary>
public sealed class ChatwootActionSender(ChatwootClient client, ChatwootLabels labels, TimeProvider time) : IPlatformActionSender
{
    public PlatformKind Platform => PlatformKind.Chatwoot;

    public async ValueTask<SendOutcome> SendAsync(TenantOptions tenant, ConversationKey key, OutboxMessage message, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(tenant.BaseUrl)) return SendOutcome.Failed($"tenant '{tenant.Id}' has no BaseUrl");
        var action = ChatwootAction.Deserialize(message.Payload.Span);
        if (message.Kind == ChatwootActionKinds.AddLabels)
            return action.Labels is { Count: > 0 } added
                ? await labels.AddAsync(tenant, action.AccountId, action.ConversationId, added, cancellationToken)
                : SendOutcome.Failed($"malformed {message.Kind} action");
        if (message.Kind == ChatwootActionKinds.Priority)
            return action.Priority is { Length: > 0 } priority
                ? await SetPriorityAsync(tenant, action.AccountId, action.ConversationId, priority, cancellationToken)
                : SendOutcome.Failed($"malformed {message.Kind} action");
        using var response = message.Kind switch
        {
            ChatwootActionKinds.Reply or ChatwootActionKinds.Note or ChatwootActionKinds.Assist when action.Message is { } body =>
                await client.CreateMessageAsync(tenant, action.AccountId, action.ConversationId, body with { EchoId = body.EchoId ?? $"conversations-{message.Id}" }, cancellationToken),
            ChatwootActionKinds.ToggleStatus when action.Status is { } status =>
                await client.ToggleStatusAsync(tenant, action.AccountId, action.ConversationId, status, cancellationToken, action.SnoozedUntil),
            ChatwootActionKinds.Assign =>
                await client.AssignAsync(tenant, action.AccountId, action.ConversationId, action.AssigneeId, action.TeamId, cancellationToken),
            ChatwootActionKinds.Labels when action.Labels is { } replaced =>
                await client.SetLabelsAsync(tenant, action.AccountId, action.ConversationId, replaced, cancellationToken),
            _ => null,
        };
        if (response is null) return SendOutcome.Failed($"malformed {message.Kind} action");
        return await HttpSendOutcomes.FromResponseAsync(response, time, cancellationToken);
    }

    /// <summary>toggle_priority; a Chatwoot without that route (404) gets the PATCH of the conversation, which takes the priority too.</summary>
    private async ValueTask<SendOutcome> SetPriorityAsync(TenantOptions tenant, string accountId, string conversationId, string priority, CancellationToken cancellationToken)
    {
        using (var toggled = await client.TogglePriorityAsync(tenant, accountId, conversationId, priority, cancellationToken))
            if (toggled.StatusCode != System.Net.HttpStatusCode.NotFound) return await HttpSendOutcomes.FromResponseAsync(toggled, time, cancellationToken);
        using var patched = await client.PatchPriorityAsync(tenant, accountId, conversationId, priority, cancellationToken);
        return await HttpSendOutcomes.FromResponseAsync(patched, time, cancellationToken);
    }
}
