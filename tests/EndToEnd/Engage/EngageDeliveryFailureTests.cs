using Conversations.Grains.Conversation;
using Conversations.TestSupport.Engage;

namespace Conversations.EndToEnd.Engage;

/// <summary>
/// content.exported with synchronization_status unsuccessful for the bot's own reply: the customer got no
/// answer. A transient error is retried once; otherwise (or when the retry fails too) a human takes over
/// with an intervention comment saying why.
/// </summary>
public sealed class EngageDeliveryFailureTests
{
    private const string Transient = "Timeout while contacting the channel, please try again later";
    private const string Permanent = "The recipient blocked messages from this page";

    [Fact]
    public async Task A_transient_failure_is_retried_once_then_a_second_failure_hands_off()
    {
        await using var world = await EngageWorld.StartAsync();
        var thread = world.NewThread(EngagePayloads.BotCategory, EngagePayloads.OtherCategory);
        var (first, _) = await RepliedAsync(world, thread);

        world.Engage.FailExport(first.Id, Transient);
        await world.DeliverAsync(Exported(thread, first, Transient));
        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 2, "the reply posted again");
        var again = world.Engage.BotReplies(thread)[1];
        Assert.Equal((first.Body, first.InReplyToId, first.Private), (again.Body, again.InReplyToId, again.Private));
        await world.SettleAsync(thread);
        Assert.DoesNotContain(EngagePayloads.AgentCategory, world.Engage.ThreadCategories(thread));
        Assert.Equal(ConversationMode.Bot, (await world.StateAsync(thread))!.Mode);

        // Once only: the retry failing too goes to a human.
        world.Engage.FailExport(again.Id, Transient);
        await world.DeliverAsync(Exported(thread, again, Transient));
        await world.Engage.WaitUntilAsync(() => world.Engage.ThreadCategories(thread).Contains(EngagePayloads.AgentCategory), "the handoff");
        await world.SettleAsync(thread);
        Assert.Equal(2, world.Engage.BotReplies(thread).Count);
        var comment = Assert.Single(Assert.Single(world.Engage.Interventions(thread)).Comments);
        Assert.Contains("could not be delivered", comment);
        Assert.Contains(Transient, comment);
        Assert.Equal(ConversationMode.Human, (await world.StateAsync(thread))!.Mode);
    }

    public static TheoryData<string> PermanentCases => ["error_in_webhook", "error_only_in_rest", "no_error"];

    [Theory]
    [MemberData(nameof(PermanentCases))]
    public async Task A_permanent_or_unexplained_failure_hands_off_with_a_comment_saying_why(string which)
    {
        await using var world = await EngageWorld.StartAsync();
        var thread = world.NewThread(EngagePayloads.BotCategory, EngagePayloads.OtherCategory);
        var (reply, _) = await RepliedAsync(world, thread);

        world.Engage.FailExport(reply.Id, which == "no_error" ? null : Permanent);
        await world.DeliverAsync(Exported(thread, reply, which == "error_in_webhook" ? Permanent : null));
        await world.Engage.WaitUntilAsync(() => world.Engage.ThreadCategories(thread).Contains(EngagePayloads.AgentCategory), "the handoff");
        await world.SettleAsync(thread);

        Assert.Single(world.Engage.BotReplies(thread)); // not retried
        var intervention = Assert.Single(world.Engage.Interventions(thread));
        var comment = Assert.Single(intervention.Comments);
        Assert.Contains("the bot's reply could not be delivered", comment);
        if (which != "no_error") Assert.Contains(Permanent, comment);
        var state = (await world.StateAsync(thread))!;
        Assert.Equal(ConversationMode.Human, state.Mode);
        Assert.Contains("could not be delivered", state.LastHandoffReason);
    }

    [Fact]
    public async Task A_transient_failure_after_the_intervention_closed_is_not_retried()
    {
        await using var world = await EngageWorld.StartAsync();
        var thread = world.NewThread(EngagePayloads.BotCategory, EngagePayloads.OtherCategory);
        var (reply, intervention) = await RepliedAsync(world, thread);
        world.Engage.CloseInterventionSilently(intervention); // in Engage; no webhook reaches the proxy

        world.Engage.FailExport(reply.Id, Transient);
        await world.DeliverAsync(Exported(thread, reply, Transient));
        await world.Engage.WaitUntilAsync(() => world.Engage.ThreadCategories(thread).Contains(EngagePayloads.AgentCategory), "the handoff");
        await world.SettleAsync(thread);
        Assert.Single(world.Engage.BotReplies(thread));
    }

    private static async Task<(FakeContent Reply, string Intervention)> RepliedAsync(EngageWorld world, string thread)
    {
        await world.DeliverAsync(world.CustomerWrites(thread, "where is my parcel?", firstInThread: true));
        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 1, "the bot's reply");
        await world.SettleAsync(thread);
        var reply = world.Engage.BotReplies(thread)[0];
        Assert.NotNull(reply.InterventionId);
        return (reply, reply.InterventionId!);
    }

    /// <summary>content.exported as Engage reports a failed push of the bot's content to the channel.</summary>
    private static System.Text.Json.Nodes.JsonObject Exported(string thread, FakeContent content, string? error) =>
        EngagePayloads.Outgoing("content.exported", thread, content.Body, EngagePayloads.BotUser, EngagePayloads.BotIdentity, content.Id,
            content.InterventionId, synchronizationStatus: "unsuccessful", synchronizationError: error, inReplyToId: content.InReplyToId, isPrivate: content.Private);
}
