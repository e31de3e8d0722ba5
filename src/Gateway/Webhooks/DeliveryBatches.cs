namespace Conversations.Gateway.Webhooks;

/// <summary>A handler's deliveries grouped per conversation: conversations in first-seen order, events in delivery order.</summary>
internal static class DeliveryBatches
{
    public static IReadOnlyList<(ConversationKey Key, IReadOnlyList<NewInboxMessage> Messages)> Group(IReadOnlyList<WebhookDelivery> deliveries)
    {
        if (deliveries.Count == 0) return [];
        var order = new List<ConversationKey>();
        var byKey = new Dictionary<ConversationKey, List<NewInboxMessage>>();
        foreach (var delivery in deliveries)
        {
            if (!byKey.TryGetValue(delivery.Key, out var messages))
            {
                byKey[delivery.Key] = messages = [];
                order.Add(delivery.Key);
            }
            messages.Add(delivery.Message);
        }
        return [.. order.Select(key => (key, (IReadOnlyList<NewInboxMessage>)byKey[key]))];
    }
}
