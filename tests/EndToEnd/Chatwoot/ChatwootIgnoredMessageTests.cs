using System.Text.Json.Nodes;
using Conversations.Grains.Conversation;
using P = Conversations.EndToEnd.Chatwoot.ChatwootPayloads;

namespace Conversations.EndToEnd.Chatwoot;

/// <summary>A message the bot ignores says nothing about who owns the conversation, whatever status its nested snapshot shows.</summary>
public sealed class ChatwootIgnoredMessageTests
{
    public static TheoryData<string> IgnoredMessages => ["activity_and_template", "private_note", "receipt"];

    [Theory]
    [MemberData(nameof(IgnoredMessages))]
    public async Task An_ignored_message_with_a_nested_open_status_leaves_a_pending_conversation_to_the_bot(string which)
    {
        await using var world = await ChatwootWorld.StartAsync();
        // Chatwoot creates its greeting right after the customer's first message; the webhooks may arrive in either order.
        var customerAt = DateTimeOffset.UtcNow;
        var later = customerAt.AddSeconds(1);
        JsonObject[] ignored = which switch
        {
            "activity_and_template" =>
            [
                P.Template("We usually reply in a few minutes.", status: "open", contentType: "text", at: later),
                P.Activity("Conversation was marked open by Daniel Park", status: "open", at: later.AddMilliseconds(10)),
            ],
            "private_note" => [P.PrivateNote("VIP customer", status: "open", at: later)],
            "receipt" => [P.Receipt(P.NextId(), "Hello!", status: "open", at: later)],
            _ => throw new ArgumentOutOfRangeException(nameof(which)),
        };
        foreach (var message in ignored) await world.PostOkAsync(message);
        await world.SettleAsync();
        Assert.Equal(ConversationMode.Bot, (await world.StateAsync())!.Mode);

        await world.PostOkAsync(P.Incoming("hello, is anyone there?", at: customerAt));
        var reply = Assert.Single(await world.WaitChatwootAsync("messages"));
        Assert.False(reply.Json().GetProperty("private").GetBoolean());
        Assert.Empty(world.ChatwootCalls("toggle_status"));
        Assert.Equal(ConversationMode.Bot, (await world.StateAsync())!.Mode);
    }

    [Fact]
    public async Task A_customer_message_with_an_open_status_still_hands_the_conversation_to_humans()
    {
        await using var world = await ChatwootWorld.StartAsync();
        await world.PostOkAsync(P.Incoming("hi", status: "open"));
        await world.SettleAsync();
        Assert.Equal(ConversationMode.Human, (await world.StateAsync())!.Mode);
        Assert.Empty(world.ChatwootCalls("messages"));
    }
}
