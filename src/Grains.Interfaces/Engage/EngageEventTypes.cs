namespace Conversations.Engage;

/// <summary>The Engage webhook event types Conversations acts on (<see cref="ConversationEvent.Type"/>).</summary>
public static class EngageEventTypes
{
    public const string ContentImported = "content.imported";
    public const string ContentReplied = "content.replied";
    public const string ContentExported = "content.exported";
    public const string ContentThreadClosed = "content.thread_closed";
    public const string InterventionOpened = "intervention.opened";
    public const string InterventionAssigned = "intervention.assigned";
    public const string InterventionUserUpdated = "intervention.user_updated";
    public const string InterventionClosed = "intervention.closed";
}
