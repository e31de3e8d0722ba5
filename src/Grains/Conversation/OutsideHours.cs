namespace Conversations.Grains.Conversation;

/// <summary>
/// What a handoff outside the tenant's business hours does instead of a plain handoff: the message telling the
/// customer when people are back, and the action (hand off anyway, keep the bot, or snooze until the opening).
/// </summary>
public sealed record OutsideHours(OutsideHoursAction Action, DateTimeOffset? NextOpening, string NextOpeningText, string Message)
{
    /// <summary>
    /// Null inside the hours or without business hours. Snooze falls back to HandOff where the platform cannot snooze
    /// (Engage) or no opening is ahead.
    /// </summary>
    public static OutsideHours? At(TenantOptions tenant, DateTimeOffset now, bool canSnooze)
    {
        if (tenant.BusinessHours.Hours() is not { } hours || hours.IsOpenAt(now)) return null;
        var next = hours.NextOpening(now);
        var text = next is { } at ? hours.Format(at) : "";
        var action = tenant.BusinessHours.OutsideAction;
        if (action == OutsideHoursAction.Snooze && (!canSnooze || next is null)) action = OutsideHoursAction.HandOff;
        var message = tenant.BusinessHours.OutsideMessage.Replace(BusinessHoursOptions.NextOpeningPlaceholder, text, StringComparison.OrdinalIgnoreCase);
        return new OutsideHours(action, next, text, message);
    }
}
