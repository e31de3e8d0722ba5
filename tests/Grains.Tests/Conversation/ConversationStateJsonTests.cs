using System.Text;
using Conversations.Grains.Conversation;

namespace Conversations.Grains.Tests.Conversation;

public sealed class ConversationStateJsonTests
{
    [Fact]
    public void Round_trips_and_ignores_unknown_fields()
    {
        var state = new ConversationState { Mode = ConversationMode.Human, BotTurns = 3, LastHandoffReason = "why" };
        state.Platform["account_id"] = "7";
        state.Transcript.Add(new TranscriptEntry(TranscriptRole.Customer, "hi", DateTimeOffset.UnixEpoch, "Maria", "e1"));
        var json = Encoding.UTF8.GetString(ConversationStateJson.Serialize(state));
        var future = json.Insert(1, "\"someFutureField\":{\"x\":[1,2]},");

        var back = ConversationStateJson.Deserialize(Encoding.UTF8.GetBytes(future));
        Assert.Equal(ConversationMode.Human, back.Mode);
        Assert.Equal(3, back.BotTurns);
        Assert.Equal("7", back.Platform["account_id"]);
        Assert.Equal("hi", Assert.Single(back.Transcript).Text);
        Assert.Contains("\"mode\":\"Human\"", json);
    }

    [Fact]
    public void Empty_bytes_are_a_new_conversation_and_missing_fields_take_defaults()
    {
        Assert.Equal(ConversationMode.Bot, ConversationStateJson.Deserialize([]).Mode);
        var old = ConversationStateJson.Deserialize("{\"mode\":\"Resolved\"}"u8);
        Assert.Equal(ConversationMode.Resolved, old.Mode);
        Assert.Empty(old.Transcript);
    }

    [Fact]
    public void The_inactivity_countdown_round_trips_and_state_written_before_it_has_none()
    {
        var at = new DateTimeOffset(2026, 3, 10, 13, 0, 0, TimeSpan.Zero);
        var state = new ConversationState { Inactivity = new InactivityCountdown { Since = at, FollowUpAt = at.AddMinutes(5), FollowedUpAt = at.AddMinutes(6), ResolveAt = at.AddMinutes(15) } };

        var back = ConversationStateJson.Deserialize(ConversationStateJson.Serialize(state));
        Assert.Equal((at, at.AddMinutes(5), (DateTimeOffset?)at.AddMinutes(6), at.AddMinutes(15)),
            (back.Inactivity!.Since, back.Inactivity.FollowUpAt, back.Inactivity.FollowedUpAt, back.Inactivity.ResolveAt));
        Assert.Null(ConversationStateJson.Deserialize("{\"mode\":\"Bot\",\"botTurns\":2}"u8).Inactivity);
        Assert.DoesNotContain("inactivity", Encoding.UTF8.GetString(ConversationStateJson.Serialize(new ConversationState())));
    }

    [Fact]
    public void Corrupt_state_starts_over_instead_of_wedging_the_conversation()
    {
        var h = new GrainHarness();
        var grain = (ConversationPolicy)h.Factory.Create(h.Key, "{not json"u8.ToArray());
        Assert.Equal(ConversationMode.Bot, grain.State.Mode);
    }
}
