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
}
