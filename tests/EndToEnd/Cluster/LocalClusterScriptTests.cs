using Conversations.TestSupport.Processes;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Conversations.EndToEnd.Chatwoot;
using Conversations.TestSupport.Http;
using Xunit.Abstractions;

namespace Conversations.EndToEnd.Cluster;

/// <summary>
/// deploy/local-cluster.sh as a newcomer uses it: up (a throwaway PostgreSQL, two silos, a gateway,
/// from the Release build), a webhook to the gateway answered by the demo tenant's Rules AI through a
/// fake Chatwoot, kill-silo 1 (SIGKILL), a new conversation still answered, down, and none of the
/// processes it recorded left running.
/// </summary>
public sealed class LocalClusterScriptTests(ITestOutputHelper output)
{
    private const string Reply = "Hello from the local cluster (the demo Rules AI).";

    [Fact]
    public async Task Up_a_webhook_answered_a_silo_killed_still_answered_down_and_nothing_left_running()
    {
        var script = Path.Combine(RepositoryRoot(), "deploy", "local-cluster.sh");
        var state = Directory.CreateTempSubdirectory("conversations-local-cluster-");
        await using var chatwoot = await LoopbackServer.StartAsync();
        chatwoot.On("POST", "/api/v1/accounts/", _ => LoopbackResponse.Json("{\"id\":1}"));
        var env = new Dictionary<string, string>
        {
            ["LOCAL_CLUSTER_STATE"] = state.FullName,
            ["LOCAL_CLUSTER_CHATWOOT_URL"] = chatwoot.BaseAddress.ToString().TrimEnd('/'),
            ["LOCAL_CLUSTER_ARGS"] = "--Logging:LogLevel:Default=Warning --Logging:LogLevel:Microsoft.Hosting.Lifetime=Information",
        };
        var watch = Stopwatch.StartNew();
        var down = false;
        try
        {
            var up = await RunAsync(script, ["up", "2"], env, TimeSpan.FromSeconds(120));
            output.WriteLine($"up in {watch.Elapsed.TotalSeconds:F1} s:\n{up.Output}");
            Assert.True(up.Exit == 0, $"up exited {up.Exit}:\n{up.Output}\n{Logs(state)}");
            var pids = Pids(state);
            Assert.Equal(["gateway", "postgres", "silo1", "silo2"], pids.Keys.Order().ToArray());
            Assert.All(pids, p => Assert.True(Alive(p.Value), $"{p.Key} (pid {p.Value}) is not running after up"));
            var gateway = int.Parse(await File.ReadAllTextAsync(Path.Combine(state.FullName, "pids", "gateway.port")), CultureInfo.InvariantCulture);
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gateway}"), Timeout = TimeSpan.FromSeconds(30) };

            await PostAsync(http, 1);
            await chatwoot.WaitForAsync(r => IsReply(r, 1), timeout: TimeSpan.FromSeconds(20));
            output.WriteLine($"first reply at {watch.Elapsed.TotalSeconds:F1} s");

            var kill = await RunAsync(script, ["kill-silo", "1"], env, TimeSpan.FromSeconds(10));
            Assert.True(kill.Exit == 0, kill.Output);
            await WaitGoneAsync(pids["silo1"], TimeSpan.FromSeconds(5));
            var killedAt = watch.Elapsed;

            // A new conversation after the kill: stored by the gateway, answered by the surviving silo.
            await PostAsync(http, 2);
            await chatwoot.WaitForAsync(r => IsReply(r, 2), timeout: TimeSpan.FromSeconds(30));
            output.WriteLine($"reply after the kill {(watch.Elapsed - killedAt).TotalSeconds:F1} s after it");

            var status = await RunAsync(script, ["status"], env, TimeSpan.FromSeconds(20));
            output.WriteLine(status.Output);
            Assert.Matches(@"silo1\s+pid \d+\s+\S+\s+dead", status.Output);
            Assert.Matches(@"silo2\s+pid \d+\s+\S+\s+ready", status.Output);

            var stopped = await RunAsync(script, ["down"], env, TimeSpan.FromSeconds(60));
            down = true;
            output.WriteLine(stopped.Output);
            Assert.True(stopped.Exit == 0, $"down exited {stopped.Exit}:\n{stopped.Output}");
            foreach (var (name, pid) in pids) Assert.False(Alive(pid), $"{name} (pid {pid}) still runs after down");
            Assert.False(Directory.Exists(Path.Combine(state.FullName, "pids")), "down left its pid files");
            output.WriteLine($"done in {watch.Elapsed.TotalSeconds:F1} s");
        }
        catch
        {
            output.WriteLine(Logs(state));
            throw;
        }
        finally
        {
            if (!down) await RunAsync(script, ["down"], env, TimeSpan.FromSeconds(60));
            try { state.Delete(recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    private static bool IsReply(RecordedRequest request, int conversation) =>
        request.Method == "POST" && request.Path == $"/api/v1/accounts/7/conversations/{conversation}/messages"
        && JsonNode.Parse(request.Body)?["content"]?.GetValue<string>() == Reply;

    private static async Task PostAsync(HttpClient http, int conversation)
    {
        using var content = new StringContent(ChatwootPayloads.Incoming($"hello from conversation {conversation}", conversation: conversation).ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await http.PostAsync("/webhooks/chatwoot/demo?token=demo-url-token", content);
        Assert.Equal(200, (int)response.StatusCode);
    }

    private static Dictionary<string, int> Pids(DirectoryInfo state) =>
        Directory.GetFiles(Path.Combine(state.FullName, "pids"), "*.pid")
            .ToDictionary(f => Path.GetFileNameWithoutExtension(f), f => int.Parse(File.ReadAllText(f).Trim(), CultureInfo.InvariantCulture));

    /// <summary>Running: /proc has it and it is not a zombie (killed, not yet reaped).</summary>
    private static bool Alive(int pid)
    {
        try
        {
            var status = File.ReadAllLines($"/proc/{pid}/status");
            return !status.Any(l => l.StartsWith("State:", StringComparison.Ordinal) && l.Contains('Z', StringComparison.Ordinal));
        }
        catch (IOException) { return false; }
        catch (UnauthorizedAccessException) { return true; }
    }

    private static async Task WaitGoneAsync(int pid, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (Alive(pid))
        {
            if (DateTime.UtcNow > deadline) Assert.Fail($"pid {pid} still runs after kill-silo");
            await Task.Delay(50);
        }
    }

    private static string Logs(DirectoryInfo state)
    {
        var logs = Path.Combine(state.FullName, "logs");
        if (!Directory.Exists(logs)) return "(no logs)";
        return string.Join("\n", Directory.GetFiles(logs).Order().Select(f =>
        {
            var text = File.ReadAllText(f);
            return $"--- {Path.GetFileName(f)} ---\n{(text.Length > 6000 ? text[^6000..] : text)}";
        }));
    }

    private static Task<(int Exit, string Output)> RunAsync(string script, string[] args, Dictionary<string, string> env, TimeSpan timeout) =>
        CommandRun.RunAsync("bash", [script, .. args], timeout, environment: env);

    private static string RepositoryRoot() => CommandRun.RepositoryRoot();
}
