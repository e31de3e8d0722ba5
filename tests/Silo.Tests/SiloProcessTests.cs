using Conversations.TestSupport.Processes;
using Conversations.Silo.Tests.Support;

namespace Conversations.Silo.Tests;

/// <summary>The executable as an operator runs it.</summary>
public sealed class SiloProcessTests
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Starts_with_no_configuration_and_exits_0_on_SIGTERM()
    {
        using var silo = ServiceProcess.StartSilo();
        await silo.WaitHealthyAsync(StartTimeout);

        using (var http = new HttpClient { BaseAddress = silo.Address })
        using (var ready = await http.GetAsync("/readyz"))
            Assert.True(ready.IsSuccessStatusCode, $"readyz answered {(int)ready.StatusCode}:\n{silo.Output}");

        await silo.TerminateAsync();
        var exit = await silo.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(exit is not null, $"The silo did not exit within 30 s of SIGTERM:\n{silo.Output}");
        Assert.True(exit == 0, $"The silo exited with {exit}:\n{silo.Output}");
    }

    [Fact]
    public async Task An_invalid_tenant_stops_the_start_with_a_message_naming_the_key()
    {
        using var silo = ServiceProcess.StartSilo(
            "--Conversations:Tenants:0:Id=Not_Valid",
            "--Conversations:Tenants:0:Platform=Chatwoot",
            "--Conversations:Tenants:0:UrlToken=t");

        var exit = await silo.WaitForExitAsync(StartTimeout);

        Assert.True(exit is not null, $"The silo kept running with an invalid tenant:\n{silo.Output}");
        Assert.NotEqual(0, exit);
        Assert.Contains("Conversations:Tenants:0:Id", silo.Output);
    }

    [Fact]
    public async Task An_invalid_gateway_setting_stops_the_start_with_a_message_naming_the_key()
    {
        using var silo = ServiceProcess.StartSilo("--Conversations:Gateway:MaxBodyBytes=0");

        var exit = await silo.WaitForExitAsync(StartTimeout);

        Assert.True(exit is not null, $"The silo kept running with an invalid setting:\n{silo.Output}");
        Assert.NotEqual(0, exit);
        Assert.Contains("Conversations:Gateway:MaxBodyBytes", silo.Output);
    }

    [Fact]
    public async Task At_start_it_says_what_it_runs_in_one_line_per_part_and_never_a_secret()
    {
        using var silo = ServiceProcess.StartSilo(
            "--Conversations:Tenants:0:Id=acme",
            "--Conversations:Tenants:0:Platform=Chatwoot",
            "--Conversations:Tenants:0:ApiToken=api-token-never-logged",
            "--Conversations:Tenants:0:WebhookSecret=webhook-secret-never-logged",
            "--Conversations:Admin:Token=admin-token-never-logged");
        await silo.WaitHealthyAsync(StartTimeout);

        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!silo.Output.Contains("Orleans: cluster", StringComparison.Ordinal) && DateTime.UtcNow < deadline) await Task.Delay(50);
        var output = silo.Output;
        Assert.Contains("Store: Memory", output);
        Assert.Contains("Tenant acme: Chatwoot, AI Rules, webhooks authenticated by signed (X-Chatwoot-Signature)", output);
        Assert.Contains("Admin: on", output);
        Assert.Contains("Listening on: http://127.0.0.1:", output);
        Assert.Contains("Orleans: cluster conversations, service conversations", output);
        Assert.DoesNotContain("never-logged", output);
        await silo.TerminateAsync();
    }

    [Theory]
    [InlineData("Platform", "Chatwot", "Conversations:Tenants:0:Platform")]
    [InlineData("Ai:Kind", "GPT", "Conversations:Tenants:0:Ai:Kind")]
    public async Task An_unknown_enum_value_stops_the_start_with_exit_2_and_one_line_naming_the_key(string setting, string value, string key)
    {
        var args = new List<string> { "--Conversations:Tenants:0:Id=acme", "--Conversations:Tenants:0:UrlToken=t" };
        args.Add(setting == "Platform" ? $"--Conversations:Tenants:0:Platform={value}" : "--Conversations:Tenants:0:Platform=Chatwoot");
        if (setting != "Platform") args.Add($"--Conversations:Tenants:0:{setting}={value}");
        using var silo = ServiceProcess.StartSilo([.. args]);

        await AssertStopsWithOneLineAsync(silo, key, value);
    }

    [Theory]
    [InlineData("BusinessHours:TimeZone", "Europe/Pariss", "Conversations:Tenants:0:BusinessHours:TimeZone")]
    [InlineData("BusinessHours:Weekly:Monday", "9-17", "Conversations:Tenants:0:BusinessHours:Weekly:Monday")]
    [InlineData("BusinessHours:OutsideAction", "Later", "Conversations:Tenants:0:BusinessHours:OutsideAction")]
    public async Task A_bad_business_hours_setting_stops_the_start_with_exit_2_and_one_line_naming_the_key(string setting, string value, string key)
    {
        var args = new Dictionary<string, string>
        {
            ["Id"] = "acme",
            ["Platform"] = "Chatwoot",
            ["UrlToken"] = "t",
            ["BusinessHours:TimeZone"] = "Europe/Paris",
            ["BusinessHours:Weekly:Monday"] = "09:00-17:00",
        };
        args[setting] = value;
        using var silo = ServiceProcess.StartSilo([.. args.Select(a => $"--Conversations:Tenants:0:{a.Key}={a.Value}")]);

        await AssertStopsWithOneLineAsync(silo, key, value);
    }

    [Theory]
    [InlineData("FollowUpAfter", "00:05:00", "Conversations:Tenants:0:Lifecycle:FollowUpMessage", "required")]
    [InlineData("FollowUpAfter", "five minutes", "Conversations:Tenants:0:Lifecycle:FollowUpAfter", "TimeSpan")]
    [InlineData("ResolveAfter", "-00:01:00", "Conversations:Tenants:0:Lifecycle:ResolveAfter", "between")]
    public async Task An_invalid_inactivity_setting_stops_the_start_with_exit_2_and_one_line_naming_the_key(string setting, string value, string key, string detail)
    {
        using var silo = ServiceProcess.StartSilo(
            "--Conversations:Tenants:0:Id=acme",
            "--Conversations:Tenants:0:Platform=Chatwoot",
            "--Conversations:Tenants:0:UrlToken=t",
            $"--Conversations:Tenants:0:Lifecycle:{setting}={value}");

        await AssertStopsWithOneLineAsync(silo, key, detail);
    }

    [Theory]
    [InlineData("WebhookDeadline", "10s", "Failed to convert")]
    [InlineData("MaxConcurrentWebhooksPerTenant", "0", "must be at least 1")]
    public async Task A_bad_gateway_limit_stops_the_start_with_exit_2_and_one_line_naming_the_key(string limit, string value, string detail)
    {
        using var silo = ServiceProcess.StartSilo($"--Conversations:Gateway:Limits:{limit}={value}");

        await AssertStopsWithOneLineAsync(silo, $"Conversations:Gateway:Limits:{limit}", detail);
    }

    [Fact]
    public async Task An_unusable_connection_string_stops_the_start_with_exit_2_and_one_line_naming_the_key()
    {
        using var silo = ServiceProcess.StartSilo("--Conversations:Store:Provider=Postgres", "--Conversations:Store:ConnectionString=garbage;;==");

        await AssertStopsWithOneLineAsync(silo, "Conversations:Store:ConnectionString", "not a valid");
    }

    [Fact]
    public async Task An_unreachable_database_stops_the_start_with_exit_2_and_one_line_naming_the_key_and_the_host()
    {
        using var closed = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        closed.Start();
        var port = ((System.Net.IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop(); // nothing listens there now

        using var silo = ServiceProcess.StartSilo("--Conversations:Store:Provider=Postgres", $"--Conversations:Store:ConnectionString=Host=127.0.0.1;Port={port};Username=x;Database=y;Timeout=3");

        await AssertStopsWithOneLineAsync(silo, "Conversations:Store:ConnectionString", $"127.0.0.1:{port}");
    }

    [Theory]
    [InlineData("http")]
    [InlineData("orleans")]
    public async Task A_busy_port_stops_the_start_with_one_line(string which)
    {
        using var holder = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;

        using var silo = which == "http"
            ? ServiceProcess.Start("silo", "Silo", ["--urls", $"http://127.0.0.1:{port}"])
            : ServiceProcess.Start("silo", "Silo", [$"--Orleans:Endpoints:SiloPort={port}", $"--Orleans:Endpoints:GatewayPort={Conversations.TestSupport.Network.OrleansTestPorts.Next()}"]);

        await AssertStopsWithOneLineAsync(silo, which == "http" ? $"http://127.0.0.1:{port}" : "Orleans:Endpoints:SiloPort", "already in use");
    }

    private static async Task AssertStopsWithOneLineAsync(ServiceProcess silo, string key, string detail)
    {
        var exit = await silo.WaitForExitAsync(StartTimeout);
        var output = silo.Output;
        Assert.True(exit is not null, $"The silo kept running:\n{output}");
        Assert.True(exit == 2, $"exit {exit}:\n{output}");
        var line = Assert.Single(output.Split('\n'), l => l.Contains(key, StringComparison.Ordinal));
        Assert.Contains(detail, line);
        Assert.DoesNotContain("   at ", output); // no stack trace at the default log level
    }
}
