using Conversations.Storage;

namespace Conversations.Gateway.Admin;

/// <summary>A tenant as the admin API shows it: never its tokens or secrets.</summary>
public sealed record TenantView(string Id, string Platform, string AiKind, int Conversations);

/// <summary>One page of the conversation list, newest activity first.</summary>
public sealed record ConversationListView(int Page, int PageSize, int Total, IReadOnlyList<ConversationListEntryView> Conversations);

/// <summary>One conversation of the list: mode (bot, human, resolved), last handoff reason, last activity.</summary>
public sealed record ConversationListEntryView(string Tenant, string ConversationId, string? Mode, string? HandoffReason, DateTimeOffset LastActivityAt, DateTimeOffset UpdatedAt)
{
    public static ConversationListEntryView From(ConversationDirectoryEntry entry) =>
        new(entry.Tenant, entry.ConversationId, entry.Mode, entry.HandoffReason, entry.LastActivityAt, entry.UpdatedAt);
}
