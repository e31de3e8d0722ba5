using Conversations.Storage;

namespace Conversations.Gateway.Tests.Support;

/// <summary>A runtime double whose running flag the test sets (readiness inside a silo).</summary>
public sealed class SwitchableRuntime : IConversationRuntime
{
    public bool IsRunning { get; set; }
    public int ActivationCount => 0;
    public void Wake(ConversationKey key) { }
    public Task DeactivateAsync(Func<ConversationKey, bool> belongs, CancellationToken cancellationToken) => Task.CompletedTask;
}
