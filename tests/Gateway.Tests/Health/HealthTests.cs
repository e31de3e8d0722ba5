using System.Net;
using System.Text.Json;
using Conversations.Gateway.Health;
using Conversations.Gateway.Tests.Support;
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
    public async Task Readyz_follows_the_readiness_contributors_before_asking_the_store()
    {
        var silo = new TestReadiness("silo not active in the cluster");
        var other = new TestReadiness(null);
        await using var harness = await Harness.StartAsync(services: s =>
        {
            s.AddSingleton<IReadinessContributor>(other);
            s.AddSingleton<IReadinessContributor>(silo);
        });

        using (var joining = await harness.Http.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, joining.StatusCode);
            using var body = JsonDocument.Parse(await joining.Content.ReadAsStringAsync());
            Assert.Equal("unready", body.RootElement.GetProperty("status").GetString());
            Assert.Equal("silo not active in the cluster", body.RootElement.GetProperty("reason").GetString());
        }

        silo.Problem = null;
        using (var active = await harness.Http.GetAsync("/readyz"))
        {
            Assert.Equal(HttpStatusCode.OK, active.StatusCode);
            using var body = JsonDocument.Parse(await active.Content.ReadAsStringAsync());
            Assert.Equal("ready", body.RootElement.GetProperty("status").GetString());
        }

        // Every contributor counts, and a ready contributor does not hide a store that is down.
        silo.Problem = "silo shutting down";
        using (var first = await harness.Http.GetAsync("/readyz"))
        {
            using var body = JsonDocument.Parse(await first.Content.ReadAsStringAsync());
            Assert.Equal("silo shutting down", body.RootElement.GetProperty("reason").GetString());
        }
        silo.Problem = null;
        harness.Store.PingFailure = new InvalidOperationException("connection refused");
        using var storeDown = await harness.Http.GetAsync("/readyz");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, storeDown.StatusCode);
        using var reason = JsonDocument.Parse(await storeDown.Content.ReadAsStringAsync());
        Assert.Equal("store unreachable: connection refused", reason.RootElement.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Readyz_does_not_depend_on_reaching_a_silo_because_webhooks_are_stored_anyway()
    {
        await using var harness = await Harness.StartAsync();
        harness.GrainAccess.Current = null;

        using var response = await harness.Http.GetAsync("/readyz");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
