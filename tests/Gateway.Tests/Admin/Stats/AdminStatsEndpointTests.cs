using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Conversations.Gateway.Admin.Stats;
using Conversations.Gateway.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace Conversations.Gateway.Tests.Admin.Stats;

/// <summary>GET /admin/stats: behind the admin token, this process' samples as JSON, no tenant and no secret in them.</summary>
public sealed class AdminStatsEndpointTests
{
    private const string Token = "stats-admin-token";

    [Fact]
    public async Task Without_the_token_the_stats_are_refused()
    {
        await using var harness = await Harness.StartAsync(s => s["Conversations:Admin:Token"] = Token);

        using var response = await harness.Http.GetAsync("/admin/stats");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("Bearer", response.Headers.WwwAuthenticate.Single().Scheme);
    }

    [Fact]
    public async Task A_webhook_shows_in_the_next_sample_with_the_settings_the_page_draws_with()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var harness = await Harness.StartAsync(
            s =>
            {
                s["Conversations:Admin:Token"] = Token;
                s["Conversations:Admin:Stats:Interval"] = "00:00:02";
                s["Conversations:Admin:Stats:Window"] = "00:05:00";
            },
            services => services.AddSingleton<TimeProvider>(time));
        harness.Store.InboxLag = TimeSpan.FromSeconds(4);

        using (var posted = await harness.Http.PostAsync("/webhooks/chatwoot/acme", Harness.Events(("1:2", "stats-m1", "hi")))) Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        time.Advance(TimeSpan.FromSeconds(2));

        JsonElement view;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        string body;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/stats");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
            using var response = await harness.Http.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            body = await response.Content.ReadAsStringAsync();
            view = JsonDocument.Parse(body).RootElement.Clone();
            if (view.GetProperty("samples").GetArrayLength() > 0) break;
            if (DateTime.UtcNow > deadline) Assert.Fail("Timed out after 10 s waiting for a sample");
            await Task.Delay(20);
        }

        Assert.Equal(2, view.GetProperty("intervalSeconds").GetDouble());
        Assert.Equal(300, view.GetProperty("windowSeconds").GetDouble());
        Assert.Contains("Conversations.Gateway", view.GetProperty("meters").EnumerateArray().Select(m => m.GetString()));
        var sample = view.GetProperty("samples")[0];
        Assert.Equal(0.5, sample.GetProperty("webhooksPerSecond").GetDouble());
        Assert.Equal(4, sample.GetProperty("inboxLagSeconds").GetDouble());
        Assert.Equal(JsonValueKind.Null, sample.GetProperty("aiP50Ms").ValueKind);
        // Totals only: neither the tenant nor any token or secret.
        foreach (var secret in new[] { "acme", Token, "url-token", "verify-token" }) Assert.DoesNotContain(secret, body);
    }

    private static IValidateOptions<LiveStatsOptions> Validator() =>
        new ServiceCollection().AddConversationsGateway(new Microsoft.Extensions.Configuration.ConfigurationBuilder().Build())
            .BuildServiceProvider().GetServices<IValidateOptions<LiveStatsOptions>>().Single();

    [Fact]
    public void The_defaults_sample_every_5_s_over_10_minutes()
    {
        var defaults = new LiveStatsOptions();

        Assert.False(Validator().Validate(null, defaults).Failed);
        Assert.Equal(TimeSpan.FromSeconds(5), defaults.Interval);
        Assert.Equal(120, defaults.Capacity);
    }

    [Theory]
    [InlineData("00:00:00.500", "00:10:00")]
    [InlineData("00:10:00", "01:00:00")]
    [InlineData("00:00:05", "00:00:01")]
    [InlineData("00:00:01", "1.00:00:00")]
    public void Settings_the_sampler_cannot_work_with_are_refused_naming_the_key(string interval, string window)
    {
        var options = new LiveStatsOptions { Interval = TimeSpan.Parse(interval, System.Globalization.CultureInfo.InvariantCulture), Window = TimeSpan.Parse(window, System.Globalization.CultureInfo.InvariantCulture) };
        var result = Validator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(LiveStatsOptions.Section, result.FailureMessage);
    }
}
