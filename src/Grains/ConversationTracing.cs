using System.Diagnostics;

namespace Conversations.Grains;

/// <summary>
/// The grains' activity source (<c>Conversations.Grains</c>). A turn's span continues the trace of
/// the webhook that carried its first event and links to the others', across the durable inbox.
/// </summary>
public static class ConversationTracing
{
    public const string SourceName = "Conversations.Grains";

    public static readonly ActivitySource Source = new(SourceName);

    /// <summary>Starts the span of a turn over <paramref name="events"/> (null when nobody listens).</summary>
    public static Activity? StartTurn(ConversationKey key, IReadOnlyList<InboxMessage> events)
    {
        if (!Source.HasListeners()) return null;
        ActivityContext parent = default;
        List<ActivityLink>? links = null;
        foreach (var e in events)
        {
            if (e.TraceParent is null || !ActivityContext.TryParse(e.TraceParent, null, isRemote: true, out var context)) continue;
            if (parent == default) parent = context;
            else (links ??= []).Add(new ActivityLink(context));
        }
        var activity = Source.StartActivity("conversation.turn", ActivityKind.Internal, parent, links: links);
        activity?.SetTag("conversation.tenant", key.Tenant);
        activity?.SetTag("conversation.events", events.Count);
        return activity;
    }

    /// <summary>Starts the span of a turn without events, run because a countdown fell due (null when nobody listens).</summary>
    public static Activity? StartCountdown(ConversationKey key)
    {
        if (!Source.HasListeners()) return null;
        var activity = Source.StartActivity("conversation.countdown", ActivityKind.Internal);
        activity?.SetTag("conversation.tenant", key.Tenant);
        return activity;
    }
}
