namespace Conversations.Grains.Conversation;

/// <summary>The route a handoff takes: the first of Handoff:Routes that matches its reason or the AI's topic.</summary>
public static class HandoffRouting
{
    public static (int Index, HandoffRoute Route)? Match(IReadOnlyList<HandoffRoute> routes, string cause, string? topic)
    {
        for (var i = 0; i < routes.Count; i++)
            if (routes[i].Matches(cause, topic)) return (i, routes[i]);
        return null;
    }

    /// <summary>What the conversation keeps of the route it was handed off by (the settings may change later).</summary>
    public static HandoffRouteRecord Record(int index, HandoffRoute route) => new(
        index,
        !string.IsNullOrEmpty(route.Topic) ? "topic:" + route.Topic : !string.IsNullOrEmpty(route.Reason) ? "reason:" + route.Reason : "any",
        NullIfEmpty(route.TeamId),
        NullIfEmpty(route.AssigneeId),
        route.Labels.Count > 0 ? [.. route.Labels] : null,
        NullIfEmpty(route.Priority)?.ToLowerInvariant(),
        NullIfEmpty(route.CategoryId));

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
