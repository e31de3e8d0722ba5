using Microsoft.Extensions.Time.Testing;
using System.Text;
using Conversations.Grains.Ai;
using Conversations.Grains.Conversation;
using Conversations.TestSupport;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conversations.Grains.Tests.Conversation;

/// <summary>A platform seam that records what the core asked for; PlatformStatus "bot"/"human"/"ended" is ownership.</summary>
public sealed class RecordingPlatform : IPlatformConversation
{
    public PlatformKind Platform => PlatformKind.Chatwoot;
    public BurstPolicy Burst { get; set; } = BurstPolicy.Supersede;
    public bool Assist { get; set; }
    public bool CanSnooze { get; set; }
    public List<bool> Typing { get; } = [];
    public int ContextLoads { get; private set; }
    public List<HandoffRequest> Handoffs { get; } = [];

    public PlatformPolicy PolicyFor(TenantOptions tenant) => new(Burst, Assist, CanSnooze);

    public Ownership Fold(ConversationScope scope, ConversationEvent e)
    {
        foreach (var (k, v) in e.Data) scope.State.Platform[k] = v;
        foreach (var (k, v) in e.Context) scope.State.Context[k] = v;
        return e.PlatformStatus switch { "bot" => Ownership.Bot, "human" => Ownership.Human, "ended" => Ownership.Ended, _ => Ownership.Unknown };
    }

    public ValueTask LoadContextAsync(ConversationScope scope, CancellationToken cancellationToken) { ContextLoads++; return ValueTask.CompletedTask; }

    public ValueTask SetTypingAsync(ConversationScope scope, bool on, CancellationToken cancellationToken) { Typing.Add(on); return ValueTask.CompletedTask; }

    public IReadOnlyList<NewOutboxMessage> BuildReply(ConversationScope scope, AiReply reply) =>
        [.. reply.Messages.Select(m => Action("test.reply", m.Text))];

    public IReadOnlyList<NewOutboxMessage> BuildHandoff(ConversationScope scope, HandoffRequest handoff)
    {
        Handoffs.Add(handoff);
        return [Action("test.note", handoff.Reason + "\n" + handoff.Summary), Action("test.status", "human")];
    }

    public IReadOnlyList<NewOutboxMessage> BuildAssistNote(ConversationScope scope, AiReply suggestion) =>
        [Action("test.assist", suggestion.Messages[0].Text)];

    public IReadOnlyList<NewOutboxMessage> BuildTakeover(ConversationScope scope) => [Action("test.status", "human")];

    public IReadOnlyList<NewOutboxMessage> BuildResolve(ConversationScope scope) => [Action("test.status", "resolved")];

    private static NewOutboxMessage Action(string kind, string text) => new(kind, Encoding.UTF8.GetBytes(text));
}

/// <summary>An AI that answers from a script and records every request.</summary>
public sealed class ScriptedAi : IAiClient
{
    public List<AiRequest> Requests { get; } = [];
    public Func<AiRequest, AiReply> Answer { get; set; } = r => AiReply.Text("echo: " + r.LatestCustomerText());

    public ValueTask<AiReply> RespondAsync(AiRequest request, CancellationToken cancellationToken)
    {
        Requests.Add(request);
        return ValueTask.FromResult(Answer(request));
    }
}

/// <summary>Builds a grain over the fakes and feeds it events, carrying committed state between turns like the runtime.</summary>
public sealed class GrainHarness
{
    private static readonly DateTimeOffset T0 = new(2026, 3, 10, 13, 0, 0, TimeSpan.Zero);
    private long _sequence;
    private int _eventId;
    private ReadOnlyMemory<byte> _state = ReadOnlyMemory<byte>.Empty;

    public GrainHarness(Action<TenantOptions>? configure = null, ConversationMetrics? metrics = null)
    {
        Tenant = new TenantOptions { Id = "acme", Platform = PlatformKind.Chatwoot, UrlToken = "t" };
        configure?.Invoke(Tenant);
        Factory = new ConversationPolicyFactory(new TenantCatalog([Tenant]), new PlatformConversations([Platform], []), Ai, Time, NullLoggerFactory.Instance, metrics);
    }

    public TenantOptions Tenant { get; }
    public RecordingPlatform Platform { get; } = new();
    public ScriptedAi Ai { get; } = new();
    public FakeTimeProvider Time { get; } = new(T0);
    public ConversationPolicyFactory Factory { get; }
    public ConversationKey Key { get; } = new("acme", "7:87");
    public DateTimeOffset Clock { get; private set; } = T0;

    public ConversationState State => ConversationStateJson.Deserialize(_state.Span);

    public ConversationEvent Event(EventKind kind, string? text = null, string? status = null, DateTimeOffset? at = null)
    {
        Clock = at ?? Clock.AddSeconds(1);
        return new ConversationEvent
        {
            Id = $"e{++_eventId}",
            Kind = kind,
            Platform = PlatformKind.Chatwoot,
            Type = kind.ToString(),
            OccurredAt = Clock,
            Text = text,
            PlatformStatus = status,
            Author = kind == EventKind.CustomerMessage ? "Maria" : "Daniel",
        };
    }

    public ConversationEvent Customer(string text, string? status = "bot") => Event(EventKind.CustomerMessage, text, status);

    public async Task<TurnResult> TurnAsync(params ConversationEvent[] events) => await TurnAsync(false, events);

    /// <summary>"Newer pending" is a customer message that arrived while the AI was thinking.</summary>
    public Task<TurnResult> TurnAsync(bool newerPending, params ConversationEvent[] events) =>
        TurnWithNewerAsync(newerPending ? [Customer("and one more thing")] : [], events);

    /// <summary>The turn the grain runs when a countdown falls due (at <see cref="Time"/>), carrying committed state like a turn.</summary>
    public async Task<TurnResult> DueAsync()
    {
        var result = await Factory.Create(Key, _state).RunDueAsync(CancellationToken.None);
        if (result.NewState is { } s) _state = s;
        return result;
    }

    /// <summary>A turn during which <paramref name="newer"/> arrived in the inbox (the next turn's events).</summary>
    public async Task<TurnResult> TurnWithNewerAsync(IReadOnlyList<ConversationEvent> newer, params ConversationEvent[] events)
    {
        var grain = Factory.Create(Key, _state);
        var inbox = events.Select(e => new InboxMessage(++_sequence, e.Id, e.Type, ConversationEventJson.Serialize(e), Time.GetUtcNow())).ToList();
        IReadOnlyList<InboxMessage> arrived = newer.Select(e => new InboxMessage(++_sequence, e.Id, e.Type, ConversationEventJson.Serialize(e), Time.GetUtcNow())).ToList();
        var result = await grain.RunTurnAsync(new TurnContext(Key, inbox, _ => ValueTask.FromResult(arrived)), CancellationToken.None);
        if (result.NewState is { } s) _state = s;
        return result;
    }
}

public static class TurnResultExtensions
{
    public static IReadOnlyList<string> Kinds(this TurnResult result) => [.. result.Actions.Select(a => a.Kind)];
    public static string Text(this NewOutboxMessage action) => Encoding.UTF8.GetString(action.Payload.Span);
}
