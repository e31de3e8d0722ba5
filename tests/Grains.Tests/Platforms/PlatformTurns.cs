using Conversations.Engage;
using Conversations.Grains.Conversation;
using Conversations.Platforms;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace Conversations.Grains.Tests.Platforms;

/// <summary>
/// The policy over the production platform seams, AI client and action senders, against a fake platform on
/// 127.0.0.1: each turn's actions are sent in order, as the grain sends them after its write. The policy's clock
/// is a <see cref="FakeTimeProvider"/> (what business hours read); the HTTP side keeps the system clock.
/// </summary>
public sealed class PlatformTurns : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly IConversationPolicyFactory _policies;
    private readonly IOutboxSender _sender;
    private ReadOnlyMemory<byte> _state;
    private long _sequence;
    private long _actionId;
    private int _eventId;

    private PlatformTurns(TenantOptions tenant, DateTimeOffset now)
    {
        Tenant = tenant;
        Clock = new FakeTimeProvider(now);
        var services = new ServiceCollection().AddLogging();
        services.AddSingleton(new TenantCatalog([tenant]));
        services.AddConversationsGrains(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Conversations:Engage:CategoryConflictDelay"] = "00:00:00.020",
            ["Conversations:Ai:Resilience:RetryBaseDelay"] = "00:00:00.010",
        }).Build());
        _services = services.BuildServiceProvider();
        _policies = new ConversationPolicyFactory(_services.GetRequiredService<TenantCatalog>(), _services.GetRequiredService<PlatformConversations>(),
            _services.GetRequiredService<Conversations.Grains.Ai.IAiClient>(), Clock, _services.GetRequiredService<ILoggerFactory>());
        _sender = _services.GetRequiredService<IOutboxSender>();
    }

    public static PlatformTurns Start(TenantOptions tenant, DateTimeOffset now) => new(tenant, now);

    public TenantOptions Tenant { get; }
    public FakeTimeProvider Clock { get; }
    public ConversationState State => ConversationStateJson.Deserialize(_state.Span);

    /// <summary>Runs one turn over <paramref name="events"/> and sends its actions; every one must be sent. Returns their kinds.</summary>
    public async Task<IReadOnlyList<string>> TurnAsync(ConversationKey key, params ConversationEvent[] events)
    {
        var inbox = events.Select(e => new InboxMessage(++_sequence, e.Id, e.Type, ConversationEventJson.Serialize(e), Clock.GetUtcNow())).ToList();
        var result = await _policies.Create(key, _state).RunTurnAsync(new TurnContext(key, inbox, _ => ValueTask.FromResult<IReadOnlyList<InboxMessage>>([])), CancellationToken.None);
        if (result.NewState is { } state) _state = state;
        foreach (var action in result.Actions)
        {
            var outcome = await _sender.SendAsync(key, new OutboxMessage(++_actionId, action.Kind, action.Payload, OutboxStatus.Pending, 0, DateTimeOffset.UtcNow, null), CancellationToken.None);
            Assert.True(outcome.Kind == SendResult.Sent, $"{action.Kind}: {outcome.Kind} {outcome.Error}");
        }
        return [.. result.Actions.Select(a => a.Kind)];
    }

    /// <summary>A customer message in a pending Chatwoot conversation 7:87, as the gateway normalizes it.</summary>
    public ConversationEvent ChatwootCustomer(string text) => new()
    {
        Id = $"chatwoot-{++_eventId}",
        Kind = EventKind.CustomerMessage,
        Platform = PlatformKind.Chatwoot,
        Type = "message_created",
        OccurredAt = Clock.GetUtcNow(),
        Text = text,
        PlatformStatus = ChatwootKeys.Pending,
        Author = "Maria",
        Data = new() { [ChatwootKeys.AccountId] = "7", [ChatwootKeys.ConversationId] = "87", [ChatwootKeys.InboxId] = "12" },
    };

    /// <summary>The content.imported of a customer content already in the fake Engage, the thread in the BOT category.</summary>
    public ConversationEvent EngageCustomer(string thread, string contentId, string text, bool firstInThread) => new()
    {
        Id = $"engage-{++_eventId}",
        Kind = EventKind.CustomerMessage,
        Platform = PlatformKind.Engage,
        Type = EngageEventTypes.ContentImported,
        OccurredAt = Clock.GetUtcNow(),
        Text = text,
        PlatformStatus = EngageEventData.StatusBot,
        Author = "Maria",
        Data = new()
        {
            [EngageEventData.ThreadId] = thread,
            [EngageEventData.ContentId] = contentId,
            [EngageEventData.FirstInThread] = firstInThread ? "true" : "false",
            [EngageEventData.Private] = "false",
        },
    };

    /// <summary>An agent closes their intervention on the thread (what gives it back to the bot with ReturnToBotOnClose).</summary>
    public ConversationEvent EngageInterventionClosed(string interventionId, string agentUserId) => new()
    {
        Id = $"engage-{++_eventId}",
        Kind = EventKind.StatusChanged,
        Platform = PlatformKind.Engage,
        Type = EngageEventTypes.InterventionClosed,
        OccurredAt = Clock.GetUtcNow(),
        Data = new() { [EngageEventData.InterventionId] = interventionId, [EngageEventData.UserId] = agentUserId },
    };

    public ValueTask DisposeAsync() => _services.DisposeAsync();
}
