using System.Text.Json;
using Conversations.Grains.Ai;
using Microsoft.Extensions.Logging;

namespace Conversations.Grains.Conversation;

/// <summary>Creates conversation grains from their committed state.</summary>
public sealed partial class ConversationPolicyFactory(
    TenantCatalog tenants,
    PlatformConversations platforms,
    IAiClient ai,
    TimeProvider time,
    ILoggerFactory loggers,
    ConversationMetrics? metrics = null) : IConversationPolicyFactory
{
    private readonly ILogger<ConversationPolicy> _grainLogger = loggers.CreateLogger<ConversationPolicy>();
    private readonly ILogger<ConversationPolicyFactory> _logger = loggers.CreateLogger<ConversationPolicyFactory>();

    public IConversationPolicy Create(ConversationKey key, ReadOnlyMemory<byte> committedState)
    {
        ConversationState state;
        try { state = ConversationStateJson.Deserialize(committedState.Span); }
        catch (JsonException ex)
        {
            // Never wedge a conversation on unreadable state: start over, loudly.
            LogUnreadableState(_logger, ex, key);
            state = new ConversationState();
        }
        return new ConversationPolicy(key, state, tenants, platforms, ai, time, _grainLogger, metrics);
    }

    public HandoffRouteView? HandoffRouteOf(ReadOnlyMemory<byte> committedState)
    {
        ConversationState state;
        try { state = ConversationStateJson.Deserialize(committedState.Span); }
        catch (JsonException) { return null; }
        return state.LastHandoffRoute is { } r
            ? new HandoffRouteView(r.Index, r.Match, r.TeamId, r.AssigneeId, r.Labels ?? [], r.Priority, r.CategoryId, state.LastHandoffAt)
            : null;
    }

    [LoggerMessage(LogLevel.Error, "Committed state of {Key} is unreadable; starting from an empty state.")]
    private static partial void LogUnreadableState(ILogger logger, Exception ex, ConversationKey key);
}
