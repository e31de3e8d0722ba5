namespace Conversations.Grains.Conversation;

/// <summary>Why the bot handed off, as a bounded label for the handoff meter (the free-text reason goes to the agent).</summary>
public static class HandoffCause
{
    public const string CustomerAsked = "customer_asked";
    public const string MaxBotTurns = "max_bot_turns";
    public const string AiFailure = "ai_failure";
    public const string AiSignal = "ai_signal";
    public const string AiNoAnswer = "ai_no_answer";
    /// <summary>The platform said so (Engage: the bot's reply could not be delivered).</summary>
    public const string Platform = "platform";
}
