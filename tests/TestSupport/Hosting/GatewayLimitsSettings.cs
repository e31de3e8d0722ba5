using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Xunit;

namespace Conversations.TestSupport.Hosting;

/// <summary>One value for each Kestrel limit and the webhook deadline under Conversations:Gateway:Limits, and the check that a built host has them.</summary>
public static class GatewayLimitsSettings
{
    public const string Section = "Conversations:Gateway:Limits:";

    /// <summary>As <c>--Key=value</c> arguments; none of them is a default.</summary>
    public static readonly string[] Arguments =
    [
        $"--{Section}MaxConcurrentConnections=123",
        $"--{Section}MaxRequestBufferBytes=32768",
        $"--{Section}RequestHeadersTimeout=00:00:07",
        $"--{Section}KeepAliveTimeout=00:00:45",
        $"--{Section}MinRequestBodyBytesPerSecond=2048",
        $"--{Section}MinRequestBodyGracePeriod=00:00:03",
        $"--{Section}WebhookDeadline=00:00:04",
    ];

    public static void AssertApplied(IServiceProvider services)
    {
        var kestrel = services.GetRequiredService<IOptions<KestrelServerOptions>>().Value.Limits;
        Assert.Equal(123, kestrel.MaxConcurrentConnections);
        Assert.Equal(32768, kestrel.MaxRequestBufferSize);
        Assert.Equal(TimeSpan.FromSeconds(7), kestrel.RequestHeadersTimeout);
        Assert.Equal(TimeSpan.FromSeconds(45), kestrel.KeepAliveTimeout);
        Assert.Equal(2048, kestrel.MinRequestBodyDataRate!.BytesPerSecond);
        Assert.Equal(TimeSpan.FromSeconds(3), kestrel.MinRequestBodyDataRate.GracePeriod);
        var policies = services.GetRequiredService<IOptions<RequestTimeoutOptions>>().Value.Policies;
        Assert.Equal(TimeSpan.FromSeconds(4), Assert.Single(policies).Value.Timeout);
    }
}
