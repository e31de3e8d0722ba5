using Conversations.Grains.Conversation;
using Conversations.Silo;
using Conversations.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Conversations.Bench;

/// <summary>
/// A silo (SiloApp, as the executable composes it) in this process, on loopback port 0 and its own
/// Orleans ports, so several can run side by side. Optionally with the scenario's policy and sender.
/// </summary>
public static class BenchSilo
{

    /// <param name="settings"><c>--Key=value</c> arguments (store, tenants, ...).</param>
    /// <param name="policies">Replaces the real policy factory (null keeps it).</param>
    /// <param name="sender">Replaces the platform sender (null keeps it).</param>
    /// <param name="replaceHandler">Serve Chatwoot webhooks with the minimal JSON handler of the ingest scenarios.</param>
    public static async Task<WebApplication> StartAsync(IEnumerable<string> settings, IConversationPolicyFactory? policies = null, IOutboxSender? sender = null, bool replaceHandler = false)
    {
        string[] args =
        [
            "--urls", "http://127.0.0.1:0",
            "--Logging:LogLevel:Default=Warning",
            "--Logging:LogLevel:Conversations=Warning",
            "--Logging:LogLevel:Orleans.Runtime.Silo=Warning",
            "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Warning",
            .. OrleansPorts(),
            .. settings,
        ];
        var app = SiloApp.Build(args, builder =>
        {
            if (policies is not null) builder.Services.AddSingleton(policies);
            if (sender is not null) builder.Services.AddSingleton(sender);
            if (replaceHandler)
            {
                builder.Services.RemoveAll<Conversations.Gateway.Webhooks.IWebhookHandler>();
                builder.Services.AddSingleton<Conversations.Gateway.Webhooks.IWebhookHandler, Postgres.JsonWebhookHandler>();
            }
        });
        await app.StartAsync();
        return app;
    }

    /// <summary>Free silo and gateway ports (probed, then left for Orleans to bind) and the loopback address to advertise.</summary>
    public static string[] OrleansPorts() => Conversations.TestSupport.Network.OrleansTestPorts.SiloArgs();

    public static async Task StopAsync(WebApplication silo)
    {
        await silo.StopAsync();
        await silo.DisposeAsync();
    }
}

/// <summary>A sender that acknowledges every action.</summary>
public sealed class NoopSender : IOutboxSender
{
    public ValueTask<SendOutcome> SendAsync(ConversationKey key, OutboxMessage message, CancellationToken cancellationToken) => ValueTask.FromResult(SendOutcome.Sent);
}

/// <summary>What the gateway does per accepted webhook (InboxDelivery): append, then a one-way wake of the conversation's grain.</summary>
public static class Delivery
{
    public static async ValueTask<long> DeliverAsync(this IConversationStore store, IGrainFactory grains, ConversationKey key, NewInboxMessage message)
    {
        var result = await store.AppendAsync(key, [message], CancellationToken.None);
        if (result.Appended > 0) _ = grains.GetConversation(key).WakeAsync(result.LastSequence);
        return result.LastSequence;
    }
}
