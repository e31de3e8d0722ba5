using System.Collections.Concurrent;
using System.Text;

namespace Conversations.Runtime.Tests.Support;

/// <summary>An outbox sender that records what it sent per conversation and answers as the test scripts it.</summary>
public sealed class RecordingSender : IOutboxSender
{
    public ConcurrentDictionary<ConversationKey, List<string>> Sent { get; } = new();
    public ConcurrentDictionary<string, int> Attempts { get; } = new();

    /// <summary>Decides the outcome from the payload and the attempt number (1-based). Default: sent.</summary>
    public Func<string, int, SendOutcome> Outcome { get; set; } = (_, _) => SendOutcome.Sent;

    public ValueTask<SendOutcome> SendAsync(ConversationKey key, OutboxMessage message, CancellationToken cancellationToken)
    {
        var payload = Encoding.UTF8.GetString(message.Payload.Span);
        var attempt = Attempts.AddOrUpdate(payload, 1, (_, n) => n + 1);
        var outcome = Outcome(payload, attempt);
        if (outcome.Kind == SendResult.Sent)
        {
            var list = Sent.GetOrAdd(key, _ => []);
            lock (list) list.Add(payload);
        }
        return ValueTask.FromResult(outcome);
    }

    public List<string> SentTo(ConversationKey key) { var list = Sent.GetOrAdd(key, _ => []); lock (list) return [.. list]; }
}
