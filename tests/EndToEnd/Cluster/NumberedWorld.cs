using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Text.Json;
using Conversations.Gateway.Webhooks;
using Conversations.Grains.Conversation;

namespace Conversations.EndToEnd.Cluster;

/// <summary>
/// Stand-ins for the platform side of the cluster tests: a webhook handler whose events carry a
/// number (<c>{"conversation":"c1","n":3}</c>), a grain that appends each number to its state, and a
/// sender that records every reply. The committed state is the exact processing history.
/// </summary>
public sealed class NumberedHandler : IWebhookHandler
{
    public PlatformKind Platform => PlatformKind.Chatwoot;

    public ValueTask<WebhookVerdict> HandleAsync(WebhookRequest request, TenantOptions tenant, CancellationToken cancellationToken)
    {
        using var document = JsonDocument.Parse(request.Body);
        var conversation = document.RootElement.GetProperty("conversation").GetString()!;
        var n = document.RootElement.GetProperty("n").GetInt32();
        var body = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(body, n);
        return ValueTask.FromResult(WebhookVerdict.Accept([new WebhookDelivery(new ConversationKey(tenant.Id, conversation), new NewInboxMessage($"m-{n}", "test.numbered", body))]));
    }
}

public sealed class NumberedGrains : IConversationPolicyFactory
{
    public IConversationPolicy Create(ConversationKey key, ReadOnlyMemory<byte> committedState) => new Grain(committedState.ToArray());

    public static int[] Decode(ReadOnlySpan<byte> state)
    {
        var numbers = new int[state.Length / 4];
        for (var i = 0; i < numbers.Length; i++) numbers[i] = BinaryPrimitives.ReadInt32LittleEndian(state[(4 * i)..]);
        return numbers;
    }

    private sealed class Grain(byte[] state) : IConversationPolicy
    {
        public ValueTask<TurnResult> RunTurnAsync(TurnContext turn, CancellationToken cancellationToken)
        {
            var next = new byte[state.Length + 4 * turn.Events.Count];
            state.CopyTo(next, 0);
            for (var i = 0; i < turn.Events.Count; i++) turn.Events[i].Body.Span.CopyTo(next.AsSpan(state.Length + 4 * i));
            state = next;
            return ValueTask.FromResult(new TurnResult(next, turn.Events.Select(e => new NewOutboxMessage("reply", e.Body.ToArray())).ToList()));
        }
    }
}

public sealed class RecordingReplies : IOutboxSender
{
    public ConcurrentQueue<(string Silo, ConversationKey Key, long Id, int Number)> Sent { get; } = new();
    public string Silo { get; init; } = "";

    public ValueTask<SendOutcome> SendAsync(ConversationKey key, OutboxMessage message, CancellationToken cancellationToken)
    {
        Sent.Enqueue((Silo, key, message.Id, BinaryPrimitives.ReadInt32LittleEndian(message.Payload.Span)));
        return ValueTask.FromResult(SendOutcome.Sent);
    }
}
