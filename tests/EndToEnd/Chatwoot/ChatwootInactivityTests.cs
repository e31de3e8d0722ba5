using System.Text.Json.Nodes;
using Conversations.Grains.Conversation;
using Conversations.TestSupport.Http;
using Microsoft.Extensions.DependencyInjection;
using P = Conversations.EndToEnd.Chatwoot.ChatwootPayloads;

namespace Conversations.EndToEnd.Chatwoot;

/// <summary>
/// Inactivity (Lifecycle:*) on the real path with periods of seconds: the bot answers, then follows up
/// once, then says goodbye and resolves (toggle_status resolved), against the loopback Chatwoot.
/// </summary>
public sealed class ChatwootInactivityTests
{
    private const string FollowUp = "Are you still there?";
    private const string Closing = "Closing this chat for now, write again any time.";

    private static Dictionary<string, string> Lifecycle(int followUpSeconds, int resolveSeconds) => new()
    {
        ["Ai:Rules:0:Pattern"] = ".",
        ["Ai:Rules:0:Reply"] = "Noted.",
        ["Lifecycle:FollowUpAfter"] = $"00:00:{followUpSeconds:D2}",
        ["Lifecycle:FollowUpMessage"] = FollowUp,
        ["Lifecycle:ResolveAfter"] = $"00:00:{resolveSeconds:D2}",
        ["Lifecycle:ResolveMessage"] = Closing,
    };

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static async Task<IReadOnlyList<CountdownView>> CountdownsAsync(ChatwootWorld world) =>
        (await world.Services.GetRequiredService<IGrainFactory>().GetConversation(new ConversationKey("acme", "7:87")).GetSnapshotAsync()).Countdowns ?? [];

    /// <summary>Until the conversation has sent everything and has no countdown left.</summary>
    private static async Task WaitDoneAsync(ChatwootWorld world)
    {
        var deadline = DateTime.UtcNow + Patience;
        while ((await CountdownsAsync(world)).Count > 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the countdown did not end");
            await Task.Delay(50);
        }
        await world.SettleAsync();
    }

    private static IReadOnlyList<string?> Contents(ChatwootWorld world) =>
        [.. world.ChatwootCalls("messages").Select(r => r.Json().GetProperty("content").GetString())];

    private static IReadOnlyList<RecordedRequest> Resolves(ChatwootWorld world) =>
        [.. world.ChatwootCalls("toggle_status").Where(r => r.Json().GetProperty("status").GetString() == "resolved")];

    [Fact]
    public async Task After_the_bots_answer_the_follow_up_and_the_resolve_are_sent_once_each_in_order()
    {
        await using var world = await ChatwootWorld.StartAsync(Lifecycle(2, 4));
        await world.PostOkAsync(P.Incoming("where is my parcel?"));
        await world.WaitChatwootAsync("messages");
        var due = await CountdownsAsync(world);
        Assert.Equal([Inactivity.FollowUpKind, Inactivity.ResolveKind], due.Select(c => c.Kind));

        await world.Chatwoot.WaitForAsync(r => ChatwootWorld.Api("toggle_status")(r) && r.Body.Contains("resolved", StringComparison.Ordinal), timeout: Patience);
        await WaitDoneAsync(world);

        Assert.Equal(["Noted.", FollowUp, Closing], Contents(world));
        var messages = world.ChatwootCalls("messages");
        var resolve = Assert.Single(Resolves(world));
        Assert.True(messages[1].ReceivedAt >= due[0].DueAt, "the follow-up came before its time");
        Assert.True(resolve.ReceivedAt >= due[1].DueAt, "the resolve came before its time");
        Assert.True(messages[2].ReceivedAt <= resolve.ReceivedAt, "the closing message came after the resolve");
        Assert.All(messages, m => Assert.False(m.Json().GetProperty("private").GetBoolean()));
        Assert.Equal(ConversationMode.Resolved, (await world.StateAsync())!.Mode);
    }

    [Fact]
    public async Task A_customer_message_between_the_follow_up_and_the_resolve_cancels_it_and_the_next_answer_starts_again()
    {
        await using var world = await ChatwootWorld.StartAsync(Lifecycle(2, 7));
        await world.PostOkAsync(P.Incoming("where is my parcel?"));
        await world.WaitChatwootAsync("messages", 2, timeout: Patience); // the answer and the follow-up
        var first = await CountdownsAsync(world);

        await world.PostOkAsync(P.Incoming("yes, still here"));
        await world.WaitChatwootAsync("messages", 3, timeout: Patience);
        var second = await CountdownsAsync(world);
        Assert.Equal([Inactivity.FollowUpKind, Inactivity.ResolveKind], second.Select(c => c.Kind));
        Assert.True(second[1].DueAt > first.Single().DueAt, "the customer's message did not restart the countdown");

        await world.Chatwoot.WaitForAsync(r => ChatwootWorld.Api("toggle_status")(r) && r.Body.Contains("resolved", StringComparison.Ordinal), timeout: Patience);
        await WaitDoneAsync(world);
        Assert.Equal(["Noted.", FollowUp, "Noted.", FollowUp, Closing], Contents(world));
        Assert.True(Assert.Single(Resolves(world)).ReceivedAt >= second[1].DueAt, "the first countdown's resolve was not cancelled");
    }

    public static TheoryData<string> Takeovers => ["agent_reply", "status_open"];

    [Theory]
    [MemberData(nameof(Takeovers))]
    public async Task A_human_taking_over_or_a_status_change_cancels_the_countdown(string how)
    {
        await using var world = await ChatwootWorld.StartAsync(Lifecycle(2, 4));
        await world.PostOkAsync(P.Incoming("where is my parcel?"));
        await world.WaitChatwootAsync("messages");
        var due = await CountdownsAsync(world);

        JsonNode takeover = how == "agent_reply" ? P.AgentReply("Daniel here, I'll take it from here") : P.StatusChanged("pending", "open");
        await world.PostOkAsync(takeover);
        var deadline = DateTime.UtcNow + Patience;
        while ((await world.StateAsync())!.Mode != ConversationMode.Human)
        {
            Assert.True(DateTime.UtcNow < deadline, "the bot did not stand down");
            await Task.Delay(25);
        }
        Assert.Empty(await CountdownsAsync(world));

        // Past the resolve's due time (and a margin for the timer): neither the follow-up nor the resolve came.
        while (DateTimeOffset.UtcNow < due[1].DueAt + TimeSpan.FromSeconds(2)) await Task.Delay(100);
        await world.SettleAsync();
        Assert.Equal(["Noted."], Contents(world));
        Assert.Empty(Resolves(world));
    }
}
