using System.Text.Json.Nodes;
using Conversations.Grains.Conversation;
using Conversations.TestSupport.Engage;

namespace Conversations.EndToEnd.Engage;

/// <summary>Replies over REST: interventions, plain text, history, closed threads, rate limits.</summary>
public sealed class EngageReplyEndToEndTests
{
    [Fact]
    public async Task The_first_reply_of_a_thread_opens_the_bots_intervention_first()
    {
        await using var world = await EngageWorld.StartAsync();
        world.Engage.RequireOpenIntervention = true;
        var thread = world.NewThread();
        var first = world.CustomerWrites(thread, "hi there", firstInThread: true);
        await world.DeliverAsync(first);

        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 1, "the reply");
        var requests = world.Engage.Requests.Select(r => r.ToString()).ToList();
        var open = requests.FindIndex(r => r.StartsWith("POST /1.0/interventions", StringComparison.Ordinal));
        var reply = requests.FindIndex(r => r.StartsWith("POST /1.0/contents", StringComparison.Ordinal));
        Assert.True(open >= 0 && open < reply, string.Join(", ", requests));
        var intervention = Assert.Single(world.Engage.Interventions(thread));
        Assert.Equal((string)first["resource"]!["id"]!, intervention.ContentId);
        Assert.Equal(EngagePayloads.BotUser, intervention.UserId);
        Assert.Equal(intervention.Id, world.Engage.BotReplies(thread)[0].InterventionId);

        // Later messages are under that intervention: no second one.
        await world.DeliverAsync(world.CustomerWrites(thread, "and another thing", interventionId: intervention.Id));
        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 2, "the second reply");
        Assert.Single(world.Engage.Requests, r => r.Is("POST", "/1.0/interventions"));
    }

    [Fact]
    public async Task Without_first_in_thread_or_with_OpenIntervention_off_no_intervention_is_opened()
    {
        await using var world = await EngageWorld.StartAsync("--Conversations:Tenants:0:Engage:OpenIntervention=false");
        var thread = world.NewThread();
        await world.DeliverAsync(world.CustomerWrites(thread, "hi", firstInThread: true));
        var other = world.NewThread();
        await world.DeliverAsync(world.CustomerWrites(other, "hello"));
        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies().Count == 2, "both replies");
        Assert.DoesNotContain(world.Engage.Requests, r => r.Is("POST", "/1.0/interventions"));
        Assert.Null(world.Engage.BotReplies(thread)[0].InterventionId);
    }

    [Fact]
    public async Task Html_from_the_ai_is_sent_as_plain_text_with_the_bearer_token()
    {
        await using var world = await EngageWorld.StartAsync();
        var thread = world.NewThread();
        await world.DeliverAsync(world.CustomerWrites(thread, "send html"));
        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 1, "the reply");
        Assert.Equal("Hello there\nTracking & more", world.Engage.BotReplies(thread)[0].Body);
        var post = Assert.Single(world.Engage.Requests, r => r.Is("POST", "/1.0/contents"));
        Assert.Equal("Bearer engage-token", post.Authorization);
        Assert.Equal("true", post.Value("auto_submitted"));
    }

    [Fact]
    public async Task The_threads_earlier_contents_reach_the_ai_and_steady_state_costs_one_call_per_message()
    {
        await using var world = await EngageWorld.StartAsync();
        world.Engage.AddIdentity("65f0a1b2c3d4e5f6012345a1", "Jane Customer");
        var thread = world.NewThread();
        world.Engage.AddCustomerContent(thread, "I wrote before the bot was there", createdAt: DateTimeOffset.UtcNow.AddMinutes(-10));
        await world.DeliverAsync(world.CustomerWrites(thread, "is anybody there?"));
        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 1, "the reply");

        var aiCall = (await world.Ai.WaitForAsync(r => r.Is("POST", "/bot"))).Last().Json();
        var transcript = aiCall.GetProperty("transcript").EnumerateArray().Select(t => t.GetProperty("text").GetString()).ToList();
        Assert.Equal(["I wrote before the bot was there", "is anybody there?"], transcript);
        Assert.Equal("Jane Customer", aiCall.GetProperty("conversation").GetProperty("context").GetProperty("customer_name").GetString());
        Assert.Single(world.Engage.Requests, r => r.Is("GET", "/1.0/contents"));

        // Steady state: identity, bot user and history are known; each answered message costs one POST.
        world.Engage.ClearRequests();
        for (var i = 0; i < 5; i++)
        {
            await world.DeliverAsync(world.CustomerWrites(thread, $"question {i}"));
            await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == i + 2, $"reply {i}");
        }
        Assert.Equal(5, world.Engage.Requests.Count);
        Assert.All(world.Engage.Requests, r => Assert.True(r.Is("POST", "/1.0/contents"), r.ToString()));
    }

    [Fact]
    public async Task Without_BotIdentity_the_bots_own_echoes_are_still_recognized()
    {
        await using var world = await EngageWorld.StartAsync("--Conversations:Tenants:0:BotIdentity=");
        var thread = world.NewThread();
        await world.DeliverAsync(world.CustomerWrites(thread, "hello", firstInThread: true));
        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 1, "the reply");
        var reply = world.Engage.BotReplies(thread)[0];
        Assert.NotNull(reply.InterventionId);
        await world.SettleAsync(thread); // the send has returned (Engage's echo webhook comes later than its answer)

        // Its echo under its own intervention must not read as an agent taking the thread.
        await world.DeliverAsync(EngagePayloads.Outgoing("content.replied", thread, reply.Body, EngagePayloads.BotUser, EngagePayloads.BotIdentity, reply.Id, reply.InterventionId));
        await world.DeliverAsync(world.CustomerWrites(thread, "still there?", interventionId: reply.InterventionId));
        await world.Engage.WaitUntilAsync(() => world.Engage.BotReplies(thread).Count == 2, "the second reply");
        Assert.Equal(ConversationMode.Bot, (await world.StateAsync(thread))!.Mode);
    }

    [Fact]
    public async Task A_reply_to_a_closed_thread_is_parked_not_retried()
    {
        await using var world = await EngageWorld.StartAsync();
        var thread = world.NewThread();
        var message = world.CustomerWrites(thread, "hello?");
        world.Engage.CloseThread(thread);
        await world.DeliverAsync(message);

        await world.Engage.WaitForAsync(r => r.Is("POST", "/1.0/contents"));
        await world.SettleAsync(thread);
        var parked = Assert.Single(await world.ParkedAsync());
        Assert.Equal("engage.reply", parked.Message.Kind);
        Assert.Contains("cant_reply_to_closed_thread", parked.Message.LastError);
        await Task.Delay(600);
        Assert.Single(world.Engage.Requests, r => r.Is("POST", "/1.0/contents"));
    }

    [Fact]
    public async Task Under_a_burst_engage_429s_are_retried_until_every_message_is_answered()
    {
        await using var world = await EngageWorld.StartAsync(
            "--Conversations:Platforms:Http:BreakerBreakDuration=00:00:00.500",
            "--Conversations:Platforms:Http:BreakerMinimumThroughput=1000");
        world.Engage.RateLimit = 12;
        world.Engage.LimitWindow = TimeSpan.FromSeconds(1);
        // Whether the burst exceeds the rate limit depends on the machine's speed; these 429s do not.
        const int injected = 5;
        world.Engage.FailNext("POST", "/1.0/contents", 429, "rate_limit_exceeded", times: injected);
        var threads = Enumerable.Range(0, 25).Select(_ => world.NewThread()).ToList();
        foreach (var batch in threads.Chunk(5))
            await world.DeliverAsync([.. batch.Select(t => world.CustomerWrites(t, "burst " + t))]);

        await world.Engage.WaitUntilAsync(() => threads.All(t => world.Engage.BotReplies(t).Count == 1), "every thread answered", TimeSpan.FromSeconds(60));
        // Every reply got through although at least the injected replies were first refused with 429: they were retried.
        Assert.True(world.Engage.AnsweredWith(429) >= injected, $"{world.Engage.AnsweredWith(429)} answers were 429 ({world.Engage.RateLimited} by the rate limit)");
        Assert.True(world.Engage.Requests.Count(r => r.Is("POST", "/1.0/contents")) >= threads.Count + injected, "every refused reply was posted again");
        Assert.Empty(await world.ParkedAsync());
        foreach (var t in threads) Assert.Equal("echo: burst " + t, world.Engage.BotReplies(t)[0].Body);
    }
}
