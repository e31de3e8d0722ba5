using System.Net;
using Conversations.Grains.Http;
using Conversations.Grains.Platforms.Engage.Http;
using Conversations.TestSupport.Http;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;

namespace Conversations.Grains.Tests.Http;

/// <summary>The platform clients' resilience handlers (Microsoft.Extensions.Http.Resilience) against a real loopback server.</summary>
public sealed class PlatformResilienceTests
{
    private static ServiceProvider Services(Action<IServiceCollection> configure)
    {
        var services = new ServiceCollection();
        services.AddSingleton(new PlatformHttpOptions
        {
            BreakerFailureRatio = 0.5,
            BreakerMinimumThroughput = 4,
            BreakerSamplingDuration = TimeSpan.FromSeconds(30),
            BreakerBreakDuration = TimeSpan.FromSeconds(30),
            Timeout = TimeSpan.FromSeconds(5),
        });
        configure(services);
        return services.BuildServiceProvider();
    }

    private static HttpRequestMessage Request(HttpMethod method, Uri url, string tenant)
    {
        var request = new HttpRequestMessage(method, url);
        request.Options.Set(PlatformResilience.TenantKey, tenant);
        return request;
    }

    [Fact]
    public async Task One_tenants_failing_platform_opens_its_own_breaker_and_not_another_tenants()
    {
        await using var platform = await LoopbackServer.StartAsync();
        platform.On(r => r.Query.Contains("tenant=a", StringComparison.Ordinal), _ => LoopbackResponse.Status(503));
        platform.On(r => r.Query.Contains("tenant=b", StringComparison.Ordinal), _ => LoopbackResponse.Status(200));
        await using var services = Services(s => s.AddHttpClient("platform").AddPlatformResilience());
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient("platform");
        var a = new Uri(platform.BaseAddress, "/api?tenant=a");
        var b = new Uri(platform.BaseAddress, "/api?tenant=b");

        for (var i = 0; i < 4; i++)
        {
            using var failed = await http.SendAsync(Request(HttpMethod.Post, a, "a"));
            Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.StatusCode);
        }
        await Assert.ThrowsAsync<BrokenCircuitException>(() => http.SendAsync(Request(HttpMethod.Post, a, "a")));
        Assert.Equal(4, platform.Requests.Count(r => r.Query.Contains("tenant=a", StringComparison.Ordinal))); // the open breaker sends nothing

        // Same host, another tenant: its own breaker, still closed.
        using var other = await http.SendAsync(Request(HttpMethod.Post, b, "b"));
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
    }

    [Fact]
    public async Task Platform_calls_are_never_retried_here_the_grain_retries_actions()
    {
        await using var platform = await LoopbackServer.StartAsync();
        platform.On("POST", "/api", _ => LoopbackResponse.Status(503));
        await using var services = Services(s => s.AddHttpClient("platform").AddPlatformResilience());
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient("platform");

        using var response = await http.SendAsync(Request(HttpMethod.Post, new Uri(platform.BaseAddress, "/api"), "a"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Single(platform.Requests);
    }

    [Fact]
    public async Task Engage_reads_are_retried_after_the_retry_after_delay_and_then_succeed()
    {
        await using var engage = await LoopbackServer.StartAsync();
        engage.Enqueue("GET", "/1.0/users", LoopbackResponse.Status(429).WithHeader("Retry-After", "1"));
        engage.On("GET", "/1.0/users", _ => LoopbackResponse.Json("[]"));
        await using var services = Services(s => s.AddHttpClient("engage").AddEngageReadRetries().AddPlatformResilience());
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient("engage");

        var started = DateTime.UtcNow;
        using var response = await http.SendAsync(Request(HttpMethod.Get, new Uri(engage.BaseAddress, "/1.0/users"), "a"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, engage.Requests.Count);
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromMilliseconds(900), "Retry-After: 1 was not honoured");
    }

    [Theory]
    [InlineData("GET", 404, 1)]  // a 4xx is an answer, not a failure to retry
    [InlineData("GET", 400, 1)]
    [InlineData("POST", 503, 1)] // writes are the grain's actions: never retried here
    [InlineData("GET", 503, 3)]  // a read: the first try and two retries
    public async Task Engage_retries_only_reads_that_failed_transiently(string method, int status, int expectedRequests)
    {
        await using var engage = await LoopbackServer.StartAsync();
        engage.On(method, "/1.0/contents", _ => LoopbackResponse.Status(status));
        await using var services = Services(s => s.AddHttpClient("engage").AddEngageReadRetries().AddPlatformResilience());
        var http = services.GetRequiredService<IHttpClientFactory>().CreateClient("engage");

        using var response = await http.SendAsync(Request(new HttpMethod(method), new Uri(engage.BaseAddress, "/1.0/contents"), "a"));

        Assert.Equal(status, (int)response.StatusCode);
        Assert.Equal(expectedRequests, engage.Requests.Count);
    }
}
