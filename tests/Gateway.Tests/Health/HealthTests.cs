using System.Net;
using System.Text.Json;
using Conversations.Gateway.Tests.Support;
using Conversations.Storage;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Gateway.Tests.Health;

public sealed class HealthTests
{
    [Fact]
    public async Task Healthz_is_200_while_alive_even_when_the_store_is_down()
    {
        await using var harness = await Harness.StartAsync();
        harness.Store.PingFailure = new TimeoutException("down");

        using var response = await harness.Http.GetAsync("/healthz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Readyz_is_200_when_the_store_answers()
    {
        await using var harness = await Harness.StartAsync();

        using var response = await harness.Http.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("ready", body.RootElement.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Readyz_is_503_with_the_reason_when_the_store_ping_fails()
    {
        await using var harness = await Harness.StartAsync();
        harness.Store.PingFailure = new InvalidOperationException("connection refused");

        using var response = await harness.Http.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("unready", body.RootElement.GetProperty("status").GetString());
        Assert.Contains("connection refused", body.RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Readyz_in_a_silo_follows_the_runtime()
    {
        var runtime = new SwitchableRuntime();
        await using var harness = await Harness.StartAsync(services: s => s.AddSingleton<IConversationRuntime>(runtime));

        using (var stopped = await harness.Http.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, stopped.StatusCode);
            Assert.Contains("runtime not running", await stopped.Content.ReadAsStringAsync());
        }

        runtime.IsRunning = true;
        using var running = await harness.Http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.OK, running.StatusCode);
    }
}
