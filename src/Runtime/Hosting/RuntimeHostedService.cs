using Conversations.Runtime.Activations;
using Conversations.Runtime.Cluster;
using Conversations.Runtime.Outbox;
using Conversations.Runtime.Store;
using Microsoft.Extensions.Hosting;

namespace Conversations.Runtime.Hosting;

/// <summary>
/// Starts the runtime and the outbox relay, and wakes conversations left with pending events. On
/// stop it runs what is pending and sends what is due before the host's shutdown timeout ends.
/// </summary>
internal sealed class RuntimeHostedService(ConversationRuntime runtime, OutboxRelay relay, IConversationStore store, IShardOwnership ownership) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        runtime.Start();
        relay.Start();
        foreach (var key in await store.FindPendingInboxAsync(ownership.OwnedShards, 100_000, cancellationToken).ConfigureAwait(false))
            runtime.Wake(key);
        foreach (var key in await store.FindDueOutboxAsync(DateTimeOffset.MaxValue, ownership.OwnedShards, 100_000, cancellationToken).ConfigureAwait(false))
            relay.Kick(key);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await runtime.StopAsync(cancellationToken).ConfigureAwait(false);
        relay.Stop();
    }
}
