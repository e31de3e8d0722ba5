using System.Text.Json;
using Conversations.Grains.Ai;
using Conversations.Grains.Conversation;
using Conversations.Platforms;

namespace Conversations.Grains.Platforms.Chatwoot;

/// <summary>
/// Chatwoot's side of the conversation grain. Ownership is the conversation status: pending = the bot,
/// open/snoozed = humans, resolved = ended. Handoff = a private note, what the route sets (team, agent, labels,
/// priority), then toggle_status open, or snoozed until the next opening outside business hours; an inactivity
/// resolve = toggle_status resolved.
/// </summary>
public sealed class ChatwootConversation(ChatwootTyping typing) : IPlatformConversation
{
    public PlatformKind Platform => PlatformKind.Chatwoot;

    public PlatformPolicy PolicyFor(TenantOptions tenant) => new(tenant.Chatwoot.BurstPolicy, tenant.Chatwoot.Assist, CanSnooze: true);

    public Ownership Fold(ConversationScope scope, ConversationEvent e)
    {
        var state = scope.State;
        foreach (var name in (ReadOnlySpan<string>)[ChatwootKeys.AccountId, ChatwootKeys.ConversationId, ChatwootKeys.InboxId])
            if (e.Data.TryGetValue(name, out var value) && value.Length > 0) state.Platform[name] = value;
        foreach (var (name, value) in e.Context) state.Context[name] = value;
        // A message the bot ignores (template, activity, note, echo, receipt) carries a conversation snapshot, not an
        // ownership change: only customer and agent messages and conversation events may move it (ARCHITECTURE.md 4).
        if (IsMessage(e) && e.Kind is not (EventKind.CustomerMessage or EventKind.AgentMessage)) return Ownership.Unknown;
        if (e.PlatformStatus is { Length: > 0 } status) state.PlatformStatus = status;
        return e.PlatformStatus switch
        {
            ChatwootKeys.Pending => Ownership.Bot,
            ChatwootKeys.Open or ChatwootKeys.Snoozed => Ownership.Human,
            ChatwootKeys.Resolved => Ownership.Ended,
            _ => Ownership.Unknown,
        };
    }

    private static bool IsMessage(ConversationEvent e) => e.Type is "message_created" or "message_updated";

    /// <summary>Bot tokens cannot list messages in any Chatwoot version: the transcript is built from webhooks.</summary>
    public ValueTask LoadContextAsync(ConversationScope scope, CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public ValueTask SetTypingAsync(ConversationScope scope, bool on, CancellationToken cancellationToken) =>
        Where(scope) is var (account, conversation)
            ? typing.SetAsync(scope.Tenant, account, conversation, on, cancellationToken)
            : ValueTask.CompletedTask;

    public IReadOnlyList<NewOutboxMessage> BuildReply(ConversationScope scope, AiReply reply)
    {
        if (Where(scope) is not var (account, conversation)) return [];
        var actions = new List<NewOutboxMessage>();
        foreach (var message in reply.Messages)
        {
            var text = LiquidEscaper.Escape(message.Text ?? "");
            ChatwootMessageBody body;
            if (message.ButtonList.Count > 0)
            {
                var items = message.ButtonList.Select(b => new { title = LiquidEscaper.Escape(b.Title), value = b.Value });
                body = new ChatwootMessageBody(text, ContentType: "input_select", ContentAttributes: JsonSerializer.SerializeToElement(new { items }));
            }
            else if (message.CardList.Count > 0)
            {
                var items = message.CardList.Select(c => new
                {
                    title = LiquidEscaper.Escape(c.Title),
                    description = LiquidEscaper.Escape(c.Description ?? ""),
                    media_url = c.MediaUrl ?? "",
                    actions = (c.Actions ?? []).Select(a => new { text = LiquidEscaper.Escape(a.Text), type = a.Type, payload = a.Payload, uri = a.Uri }),
                });
                body = new ChatwootMessageBody(text, ContentType: "cards", ContentAttributes: JsonSerializer.SerializeToElement(new { items }));
            }
            else if (text.Length > 0) body = new ChatwootMessageBody(text);
            else continue;
            actions.Add(Action(ChatwootActionKinds.Reply, account, conversation, body));
        }
        return actions;
    }

    public IReadOnlyList<NewOutboxMessage> BuildHandoff(ConversationScope scope, HandoffRequest handoff)
    {
        if (Where(scope) is not var (account, conversation)) return [];
        var note = $"Handed off to a human agent.\nReason: {handoff.Reason}\n\n{handoff.Summary}";
        var actions = new List<NewOutboxMessage>
        {
            Action(ChatwootActionKinds.Note, account, conversation, new ChatwootMessageBody(LiquidEscaper.Escape(note), Private: true)),
        };
        if (handoff.Route is { } route) actions.AddRange(RouteActions(account, conversation, route));
        // Assign and label before the status change: opening the conversation notifies the inbox and runs Chatwoot's auto-assignment.
        actions.Add(handoff.SnoozeUntil is { } until
            ? new(ChatwootActionKinds.ToggleStatus, new ChatwootAction { AccountId = account, ConversationId = conversation, Status = ChatwootKeys.Snoozed, SnoozedUntil = until.ToUnixTimeSeconds() }.Serialize())
            : StatusAction(account, conversation, ChatwootKeys.Open));
        return actions;
    }

    /// <summary>
    /// One assignment per target: Chatwoot's assignments endpoint takes an agent or a team per call (an agent
    /// when both are given), so the team goes first and the agent after it.
    /// </summary>
    private static IEnumerable<NewOutboxMessage> RouteActions(string account, string conversation, HandoffRoute route)
    {
        ChatwootAction At() => new() { AccountId = account, ConversationId = conversation };
        if (!string.IsNullOrWhiteSpace(route.TeamId)) yield return new(ChatwootActionKinds.Assign, (At() with { TeamId = route.TeamId.Trim() }).Serialize());
        if (!string.IsNullOrWhiteSpace(route.AssigneeId)) yield return new(ChatwootActionKinds.Assign, (At() with { AssigneeId = route.AssigneeId.Trim() }).Serialize());
        if (route.Labels.Count > 0) yield return new(ChatwootActionKinds.AddLabels, (At() with { Labels = [.. route.Labels.Select(l => l.Trim())] }).Serialize());
        if (!string.IsNullOrWhiteSpace(route.Priority)) yield return new(ChatwootActionKinds.Priority, (At() with { Priority = route.Priority.Trim().ToLowerInvariant() }).Serialize());
    }

    public IReadOnlyList<NewOutboxMessage> BuildAssistNote(ConversationScope scope, AiReply suggestion)
    {
        if (Where(scope) is not var (account, conversation)) return [];
        var text = string.Join("\n\n", suggestion.Messages.Select(m => m.Text).Where(t => !string.IsNullOrWhiteSpace(t)));
        var buttons = suggestion.Messages.SelectMany(m => m.ButtonList).Select(b => b.Title).ToList();
        if (buttons.Count > 0) text += "\nOptions: " + string.Join(" | ", buttons);
        return [Action(ChatwootActionKinds.Assist, account, conversation, new ChatwootMessageBody(LiquidEscaper.Escape("Suggested answer (AI):\n" + text), Private: true))];
    }

    /// <summary>A human replied while pending: open the conversation so Chatwoot (and a later push back to pending) reflect who owns it.</summary>
    public IReadOnlyList<NewOutboxMessage> BuildTakeover(ConversationScope scope) =>
        Where(scope) is var (account, conversation) ? [StatusAction(account, conversation, ChatwootKeys.Open)] : [];

    /// <summary>Inactivity: the bot resolves the conversation; the customer's next message brings it back to <c>pending</c> (Chatwoot does).</summary>
    public IReadOnlyList<NewOutboxMessage> BuildResolve(ConversationScope scope) =>
        Where(scope) is var (account, conversation) ? [StatusAction(account, conversation, ChatwootKeys.Resolved)] : [];

    private static (string Account, string Conversation)? Where(ConversationScope scope)
    {
        var ids = scope.State.Platform;
        if (ids.TryGetValue(ChatwootKeys.AccountId, out var account) && ids.TryGetValue(ChatwootKeys.ConversationId, out var conversation))
            return (account, conversation);
        // The key itself is "{account}:{display id}".
        var parts = scope.Key.ConversationId.Split(':');
        return parts.Length == 2 ? (parts[0], parts[1]) : null;
    }

    private static NewOutboxMessage Action(string kind, string account, string conversation, ChatwootMessageBody body) =>
        new(kind, new ChatwootAction { AccountId = account, ConversationId = conversation, Message = body }.Serialize());

    private static NewOutboxMessage StatusAction(string account, string conversation, string status) =>
        new(ChatwootActionKinds.ToggleStatus, new ChatwootAction { AccountId = account, ConversationId = conversation, Status = status }.Serialize());
}
