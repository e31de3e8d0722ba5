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
}
