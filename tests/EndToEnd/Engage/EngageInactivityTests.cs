using Conversations.Grains.Conversation;
using Conversations.TestSupport.Engage;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.EndToEnd.Engage;

/// <summary>
/// Inactivity (Lifecycle:*) on the real Engage path with periods of seconds: the bot follows up once,
/// then says goodbye and ends its intervention (closed: it replied in it); the thread stays in BOT,
/// and is closed too with Engage:CloseThreadOnResolve, against the stateful fake Engage API.
/// </summary>
public sealed class EngageInactivityTests
{
    private const string FollowUp = "Are you still there?";
    private const string Closing = "Closing this conversation for now.";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    private static string[] Lifecycle(int followUpSeconds, int resolveSeconds, params string[] more) =>
    [
        $"--Conversations:Tenants:0:Lifecycle:FollowUpAfter=00:00:{followUpSeconds:D2}",
        $"--Conversations:Tenants:0:Lifecycle:FollowUpMessage={FollowUp}",
        $"--Conversations:Tenants:0:Lifecycle:ResolveAfter=00:00:{resolveSeconds:D2}",
        $"--Conversations:Tenants:0:Lifecycle:ResolveMessage={Closing}",
        .. more,
    ];

    private static async Task<IReadOnlyList<CountdownView>> CountdownsAsync(EngageWorld world, string thread) =>
        (await world.Silo.Services.GetRequiredService<IGrainFactory>().GetConversation(new ConversationKey(EngageWorld.Tenant, thread)).GetSnapshotAsync()).Countdowns ?? [];

    private static async Task WaitDoneAsync(EngageWorld world, string thread)
    {
        var deadline = DateTime.UtcNow + Patience;
        while ((await CountdownsAsync(world, thread)).Count > 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the countdown did not end");
            await Task.Delay(50);
        }
        await world.SettleAsync(thread);
    }

    private static IReadOnlyList<string> Bodies(EngageWorld world, string thread) => [.. world.Engage.BotReplies(thread).Select(r => r.Body)];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task The_follow_up_and_the_resolve_come_once_each_in_order_and_end_the_bots_intervention(bool closeThread)
    {
        await using var world = await EngageWorld.StartAsync(Lifecycle(2, 4, $"--Conversations:Tenants:0:Engage:CloseThreadOnResolve={closeThread}"));
        var thread = world.NewThread();
        await world.DeliverAsync(world.CustomerWrites(thread, "where is my parcel?", firstInThread: true));
        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 1, "the answer");
        var due = await CountdownsAsync(world, thread);
        Assert.Equal([Inactivity.FollowUpKind, Inactivity.ResolveKind], due.Select(c => c.Kind));

        await world.Engage.WaitUntilAsync(() => world.Engage.Interventions(thread).Any(i => i.Closed), "the intervention closed", Patience);
        await WaitDoneAsync(world, thread);

        Assert.Equal(["echo: where is my parcel?", FollowUp, Closing], Bodies(world, thread));
        var intervention = Assert.Single(world.Engage.Interventions(thread));
        Assert.True(intervention.Closed);
        Assert.False(intervention.Cancelled);
        Assert.Equal(3, intervention.BotReplies);
        Assert.Equal([EngagePayloads.BotCategory], world.Engage.ThreadCategories(thread));
        Assert.Equal(closeThread, world.Engage.IsThreadClosed(thread));

        var requests = world.Engage.Requests.Select(r => r.ToString()).ToList();
        var closing = requests.FindLastIndex(r => r.StartsWith("POST /1.0/contents", StringComparison.Ordinal));
        var close = requests.FindIndex(r => r.StartsWith($"PUT /1.0/interventions/{intervention.Id}/close", StringComparison.Ordinal));
        Assert.True(closing >= 0 && close > closing, string.Join(", ", requests));
        Assert.Single(requests, r => r.StartsWith($"PUT /1.0/interventions/{intervention.Id}/close", StringComparison.Ordinal));
        Assert.Equal(closeThread ? 1 : 0, requests.Count(r => r.StartsWith($"PUT /1.0/content_threads/{thread}/close", StringComparison.Ordinal)));
        Assert.DoesNotContain(requests, r => r.StartsWith("PUT /1.0/content_threads/" + thread + "/update_categories", StringComparison.Ordinal));
        Assert.Equal(ConversationMode.Resolved, (await world.StateAsync(thread))!.Mode);
        Assert.Empty(await world.ParkedAsync());
    }

    [Fact]
    public async Task A_customer_message_between_the_follow_up_and_the_resolve_cancels_it_and_the_customers_return_is_answered()
    {
        await using var world = await EngageWorld.StartAsync(Lifecycle(2, 7));
        var thread = world.NewThread();
        await world.DeliverAsync(world.CustomerWrites(thread, "where is my parcel?", firstInThread: true));
        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 2, "the answer and the follow-up", Patience);
        var first = await CountdownsAsync(world, thread);
        var intervention = Assert.Single(world.Engage.Interventions(thread));

        await world.DeliverAsync(world.CustomerWrites(thread, "yes, still here", interventionId: intervention.Id));
        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 3, "the second answer");
        var second = await CountdownsAsync(world, thread);
        Assert.True(second[^1].DueAt > first.Single().DueAt, "the customer's message did not restart the countdown");

        await world.Engage.WaitUntilAsync(() => world.Engage.Interventions(thread).Any(i => i.Closed), "the intervention closed", Patience);
        await WaitDoneAsync(world, thread);
        Assert.Equal(["echo: where is my parcel?", FollowUp, "echo: yes, still here", FollowUp, Closing], Bodies(world, thread));
        var close = Assert.Single(world.Engage.Requests, r => r.Is("PUT", $"/1.0/interventions/{intervention.Id}/close"));
        Assert.True(close.At > world.Engage.Requests.Last(r => r.Is("POST", "/1.0/contents")).At);

        // The customer comes back after the resolve: a new bot episode in a new intervention of the bot's.
        await world.DeliverAsync(world.CustomerWrites(thread, "one more thing"));
        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 6, "the answer after the resolve");
        Assert.Equal("echo: one more thing", world.Engage.BotReplies(thread)[^1].Body);
        Assert.Equal(2, world.Engage.Interventions(thread).Count);
        Assert.Equal(ConversationMode.Bot, (await world.StateAsync(thread))!.Mode);
    }

    [Fact]
    public async Task A_human_taking_over_cancels_the_countdown()
    {
        await using var world = await EngageWorld.StartAsync(Lifecycle(2, 4));
        var thread = world.NewThread();
        await world.DeliverAsync(world.CustomerWrites(thread, "where is my parcel?", firstInThread: true));
        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 1, "the answer");
        var due = await CountdownsAsync(world, thread);

        await world.DeliverAsync(EngagePayloads.Intervention("intervention.opened", thread, EngagePayloads.AgentUser));
        await world.WaitForStateAsync(thread, s => s.Mode == ConversationMode.Human, "the bot to stand down");
        Assert.Empty(await CountdownsAsync(world, thread));

        // Past the resolve's due time (and a margin for the timer): neither the follow-up nor the resolve came.
        while (DateTimeOffset.UtcNow < due[1].DueAt + TimeSpan.FromSeconds(2)) await Task.Delay(100);
        await world.SettleAsync(thread);
        Assert.Equal(["echo: where is my parcel?"], Bodies(world, thread));
        Assert.DoesNotContain(world.Engage.Requests, r => r.Is("PUT", "/1.0/interventions") || r.Is("DELETE", "/1.0/interventions"));
    }
}
