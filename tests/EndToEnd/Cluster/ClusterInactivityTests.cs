using System.Net.Http.Headers;
using System.Text.Json;
using Conversations.TestSupport.Processes;
using Xunit.Abstractions;

namespace Conversations.EndToEnd.Cluster;

/// <summary>
/// Inactivity across real processes on the ADO.NET providers (PostgreSQL: membership, grain state,
/// reminders): a standalone gateway and silo processes with one fake Chatwoot each, so every reply
/// and status change says which silo sent it. The countdown must survive kill -9 of the silo that
/// holds the conversation, and a restart of the whole cluster while the conversation is idle, with
/// exactly one follow-up, one closing message and one resolve. Reminders keep Orleans' one-minute
/// period here, as in production: a step that fell due while no silo held the conversation may come
/// up to a minute late.
/// </summary>
public sealed class ClusterInactivityTests(ITestOutputHelper output)
{
    private const string FollowUp = "Are you still there?";
    private const string Closing = "Closing this chat for now.";
    private const string AdminToken = "admin-token-for-inactivity-tests";
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private static readonly TimeSpan FollowUpAfter = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ResolveAfter = TimeSpan.FromSeconds(20);
    /// <summary>Countdowns start when a step is decided, the fakes see its message after the send: a bound on that lag for a loaded machine.</summary>
    private static readonly TimeSpan SendLatency = TimeSpan.FromSeconds(3);

    private static readonly string[] Lifecycle =
    [
        $"--Conversations:Tenants:0:Lifecycle:FollowUpAfter={FollowUpAfter:c}",
        $"--Conversations:Tenants:0:Lifecycle:FollowUpMessage={FollowUp}",
        $"--Conversations:Tenants:0:Lifecycle:ResolveAfter={ResolveAfter:c}",
        $"--Conversations:Tenants:0:Lifecycle:ResolveMessage={Closing}",
    ];

    [Fact]
    public async Task Killing_the_silo_that_holds_the_conversation_before_the_follow_up_still_gives_one_follow_up_and_one_resolve()
    {
        await using var world = await LifecycleWorld.CreateAsync(output, "idlekill");
        try
        {
            var (a, b, http, reply) = await StartIdleConversationAsync(world, conversation: 1);
            using var _ = http;
            var holder = reply.Silo == "silo-a" ? a : b;
            holder.Kill();
            world.Print($"the answer came from {holder.Name} at {reply.At.TotalSeconds:F1} s; killed it (kill -9) {(world.Now - reply.At).TotalSeconds:F1} s later, before the follow-up due {FollowUpAfter.TotalSeconds:F0} s after the answer");

            await WaitStepsAsync(world, http, conversation: 1, TimeSpan.FromSeconds(180));
            AssertOnce(world, conversation: 1, reply, notFrom: holder.Name);
            world.PrintProblems();
        }
        catch
        {
            world.PrintOutputs();
            throw;
        }
    }

    [Fact]
    public async Task A_conversation_idle_through_a_full_cluster_restart_is_followed_up_and_resolved_once()
    {
        await using var world = await LifecycleWorld.CreateAsync(output, "idlerestart");
        try
        {
            var (a, b, http, reply) = await StartIdleConversationAsync(world, conversation: 2);
            using var _ = http;
            a.Kill();
            b.Kill();
            world.Print($"answered by {reply.Silo} at {reply.At.TotalSeconds:F1} s; every silo killed (kill -9) {(world.Now - reply.At).TotalSeconds:F1} s later");

            // The cluster stays down until both steps are overdue: the conversation is idle through the restart.
            while (world.Now < reply.At + ResolveAfter + TimeSpan.FromSeconds(2)) await Task.Delay(200);
            var c = await world.StartSiloAsync("silo-c", gatewayMounted: false, Lifecycle);
            var d = await world.StartSiloAsync("silo-d", gatewayMounted: false, Lifecycle);
            await Task.WhenAll(world.WaitReadyAsync(c, StartTimeout), world.WaitReadyAsync(d, StartTimeout));
            world.Print("silo-c and silo-d ready");

            await WaitStepsAsync(world, http, conversation: 2, TimeSpan.FromSeconds(180));
            AssertOnce(world, conversation: 2, reply, notFrom: null);
            Assert.All(world.RepliesOf(2).Skip(1), r => Assert.Contains(r.Silo, new[] { "silo-c", "silo-d" }));
            var followUp = world.RepliesOf(2).Single(r => r.Content == FollowUp);
            var closing = world.RepliesOf(2).Single(r => r.Content == Closing);
            // The follow-up went out late, so the resolve moved: the customer still had ResolveAfter - FollowUpAfter to answer it.
            Assert.True(closing.At - followUp.At >= ResolveAfter - FollowUpAfter - SendLatency,
                $"closing {(closing.At - followUp.At).TotalSeconds:F1} s after the follow-up");
            world.PrintProblems();
        }
        catch
        {
            world.PrintOutputs();
            throw;
        }
    }

    /// <summary>A gateway and two silos, one conversation answered by the bot and idle (its answer's send written back).</summary>
    private static async Task<(ServiceProcess A, ServiceProcess B, HttpClient Http, LifecycleReply Reply)> StartIdleConversationAsync(LifecycleWorld world, int conversation)
    {
        var gateway = world.StartGateway($"--Conversations:Admin:Token={AdminToken}");
        var a = await world.StartSiloAsync("silo-a", gatewayMounted: false, Lifecycle);
        var b = await world.StartSiloAsync("silo-b", gatewayMounted: false, Lifecycle);
        await Task.WhenAll(world.WaitReadyAsync(gateway, StartTimeout), world.WaitReadyAsync(a, StartTimeout), world.WaitReadyAsync(b, StartTimeout));
        var http = Client(gateway);
        var reply = await AnsweredAsync(world, http, conversation);
        await WaitIdleAsync(http, conversation);
        return (a, b, http, reply);
    }

    private static HttpClient Client(ServiceProcess gateway)
    {
        var http = new HttpClient { BaseAddress = gateway.Address, Timeout = TimeSpan.FromSeconds(30) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AdminToken);
        return http;
    }

    private static async Task<LifecycleReply> AnsweredAsync(LifecycleWorld world, HttpClient http, int conversation)
    {
        var text = $"where is my parcel {conversation}?";
        var (status, _) = await LifecycleWorld.PostAsync(http, text, conversation);
        Assert.Equal(200, status);
        return await world.WaitReplyAsync("echo: " + text, TimeSpan.FromSeconds(60));
    }

    /// <summary>
    /// Until the answer's send is written back and only the countdown is left: the conversation is idle. A kill
    /// before that write-back would have the answer sent again (actions are at-least-once), which is not what
    /// these tests are about.
    /// </summary>
    private static async Task WaitIdleAsync(HttpClient http, int conversation)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            using (var response = await http.GetAsync($"/admin/conversations/acme/7:{conversation}"))
            {
                if (response.IsSuccessStatusCode)
                {
                    using var view = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                    if (view.RootElement.GetProperty("outbox").GetArrayLength() == 0 && view.RootElement.GetProperty("countdowns").GetArrayLength() == 2) return;
                }
            }
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the conversation did not settle on its countdown");
            await Task.Delay(50);
        }
    }

    /// <summary>Until the resolve reached a fake Chatwoot and the admin view shows no countdown and no action left.</summary>
    private static async Task WaitStepsAsync(LifecycleWorld world, HttpClient http, int conversation, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        var last = "";
        while (true)
        {
            if (world.StatusesOf(conversation).Any(s => s.Status == "resolved"))
            {
                try
                {
                    using var response = await http.GetAsync($"/admin/conversations/acme/7:{conversation}");
                    last = $"{(int)response.StatusCode}";
                    if (response.IsSuccessStatusCode)
                    {
                        using var view = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
                        var countdowns = view.RootElement.GetProperty("countdowns").GetArrayLength();
                        var outbox = view.RootElement.GetProperty("outbox").GetArrayLength();
                        last = $"{countdowns} countdowns, {outbox} actions";
                        if (countdowns == 0 && outbox == 0) break;
                    }
                }
                catch (HttpRequestException ex) { last = ex.Message; }
                catch (TaskCanceledException) { last = "admin view timed out"; }
            }
            if (DateTime.UtcNow > deadline)
                throw new TimeoutException($"no resolve within {timeout}: replies {string.Join(" | ", world.RepliesOf(conversation).Select(r => $"{r.Silo}: {r.Content}"))}; statuses {string.Join(", ", world.StatusesOf(conversation).Select(s => s.Status))}; admin view: {last}");
            await Task.Delay(250);
        }
        var steps = world.RepliesOf(conversation).Where(r => r.Content is FollowUp or Closing).Select(r => $"{r.Content} ({r.Silo}) at {r.At.TotalSeconds:F1} s");
        world.Print("steps: " + string.Join(", ", steps) + $"; resolved at {world.StatusesOf(conversation).First(s => s.Status == "resolved").At.TotalSeconds:F1} s");
    }

    /// <summary>One answer, one follow-up, one closing message and one resolve, in that order.</summary>
    private static void AssertOnce(LifecycleWorld world, int conversation, LifecycleReply answer, string? notFrom)
    {
        var replies = world.RepliesOf(conversation);
        Assert.Equal([answer.Content, FollowUp, Closing], replies.Select(r => r.Content));
        var resolved = Assert.Single(world.StatusesOf(conversation));
        Assert.Equal("resolved", resolved.Status);
        Assert.True(replies[^1].Sequence < resolved.Sequence, "the resolve came before the closing message");
        Assert.True(replies[1].At - answer.At >= FollowUpAfter - SendLatency, $"the follow-up came {(replies[1].At - answer.At).TotalSeconds:F1} s after the answer");
        if (notFrom is not null) Assert.All(replies.Skip(1).Select(r => r.Silo).Append(resolved.Silo), s => Assert.NotEqual(notFrom, s));
    }
}
