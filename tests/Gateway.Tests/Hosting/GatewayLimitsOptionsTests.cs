using Conversations.Gateway.Tests.Support;
using Conversations.TestSupport.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Conversations.Gateway.Tests.Hosting;

/// <summary>Issue 13.1: every limit has a key under Conversations:Gateway:Limits, reaches Kestrel or the webhook deadline, and is validated.</summary>
public sealed class GatewayLimitsOptionsTests
{
    private const string Limits = GatewayLimitsSettings.Section;

    [Fact]
    public async Task The_standalone_gateway_gives_kestrel_and_the_deadline_the_configured_limits()
    {
        // Built, not started: nothing connects to this database.
        await using var app = GatewayApp.Build(
        [
            "--urls", "http://127.0.0.1:0",
            "--Conversations:Store:Provider=Postgres",
            "--Conversations:Store:ConnectionString=Host=127.0.0.1;Port=1;Username=x;Database=y",
            .. GatewayLimitsSettings.Arguments,
        ]);

        GatewayLimitsSettings.AssertApplied(app.Services);
    }

    [Fact]
    public async Task Without_settings_the_limits_are_the_documented_defaults()
    {
        await using var harness = await Harness.StartAsync();
        var kestrel = harness.Host.App.Services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits;

        Assert.Equal(4096, kestrel.MaxConcurrentConnections);
        Assert.Equal(64 * 1024, kestrel.MaxRequestBufferSize);
        Assert.Equal(TimeSpan.FromSeconds(10), kestrel.RequestHeadersTimeout);
        Assert.Equal(TimeSpan.FromSeconds(60), kestrel.KeepAliveTimeout);
        Assert.Equal(1024, kestrel.MinRequestBodyDataRate!.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(5), kestrel.MinRequestBodyDataRate.GracePeriod);
        var limits = harness.Host.App.Services.GetRequiredService<IOptions<Conversations.Gateway.Hosting.GatewayLimitsOptions>>().Value;
        Assert.Equal((TimeSpan.FromSeconds(10), 64, 256, 256, 1024),
            (limits.WebhookDeadline, limits.MaxConcurrentWebhooksPerTenant, limits.MaxQueuedWebhooksPerTenant, limits.MaxConcurrentWebhooks, limits.MaxQueuedWebhooks));
        // The deadline as the request-timeouts middleware has it, not only as bound.
        var policies = harness.Host.App.Services.GetRequiredService<IOptions<Microsoft.AspNetCore.Http.Timeouts.RequestTimeoutOptions>>().Value.Policies;
        Assert.Equal(TimeSpan.FromSeconds(10), Assert.Single(policies).Value.Timeout);
    }

    [Theory]
    [InlineData("MaxConcurrentConnections", "0")]
    [InlineData("MaxRequestBufferBytes", "100")]
    [InlineData("RequestHeadersTimeout", "00:00:00")]
    [InlineData("KeepAliveTimeout", "-00:00:01")]
    [InlineData("MinRequestBodyBytesPerSecond", "0")]
    [InlineData("MinRequestBodyGracePeriod", "00:00:00.500")]
    [InlineData("WebhookDeadline", "00:00:00")]
    [InlineData("MaxConcurrentWebhooksPerTenant", "0")]
    [InlineData("MaxQueuedWebhooksPerTenant", "-1")]
    [InlineData("MaxConcurrentWebhooks", "0")]
    [InlineData("MaxQueuedWebhooks", "-1")]
    public async Task An_invalid_limit_stops_the_start_naming_its_key(string limit, string value)
    {
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => Harness.StartAsync(s => s[Limits + limit] = value));

        Assert.Contains(Limits + limit, error.Message);
    }
}
