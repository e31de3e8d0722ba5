namespace Conversations.Platforms;

/// <summary>
/// Names shared by the Chatwoot webhook handler (which fills <see cref="ConversationEvent.Data"/> and
/// <see cref="ConversationEvent.Context"/>) and the Chatwoot side of the grain (which reads them).
/// </summary>
public static class ChatwootKeys
{
    // ConversationEvent.Data
    public const string AccountId = "account_id";
    public const string ConversationId = "conversation_id";
    public const string InboxId = "inbox_id";
    public const string MessageId = "message_id";
    public const string SenderType = "sender_type";
    public const string SenderId = "sender_id";
    public const string ContentType = "content_type";
    /// <summary>"true" when the customer's input came from a widget submission (input_select, form, email) on message_updated.</summary>
    public const string Submitted = "submitted";

    // ConversationEvent.Context (for the AI)
    public const string ContactName = "contact.name";
    public const string ContactEmail = "contact.email";
    public const string ContactPhone = "contact.phone";
    public const string ContactIdentifier = "contact.identifier";
    public const string ContactAttributePrefix = "contact.custom.";
    public const string ConversationAttributePrefix = "conversation.custom.";
    public const string Labels = "conversation.labels";
    public const string Priority = "conversation.priority";
    public const string InboxName = "inbox.name";
    public const string Channel = "inbox.channel";
    public const string Referer = "conversation.referer";
    public const string BrowserLanguage = "contact.browser_language";

    // ConversationEvent.PlatformStatus values (Chatwoot conversation status)
    public const string Pending = "pending";
    public const string Open = "open";
    public const string Resolved = "resolved";
    public const string Snoozed = "snoozed";

    /// <summary>Chatwoot conversation ids in keys are "{accountId}:{displayId}" (a global bot serves many accounts).</summary>
    public static string ConversationKeyId(string accountId, string displayId) => $"{accountId}:{displayId}";
}
