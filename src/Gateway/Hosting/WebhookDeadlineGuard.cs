using Conversations.Gateway.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Conversations.Gateway.Hosting;

/// <summary>
/// Between the request timeouts and the rate limiter: a webhook whose deadline passed while it waited in the
/// limiter's queue comes back with nothing written (the limiter returns quietly on a cancelled wait); it gets
/// the deadline's 503 instead of an empty 200 a platform would take for an acknowledgement.
/// </summary>
internal static class WebhookDeadlineGuard
{
    public static async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        await next(context);
        // Untouched means still the default 200 with nothing sent: the endpoint always sets its status, and it
        // answers 200 only after switching the deadline off, so a fired deadline with a 200 never reached it.
        if (context.Response.HasStarted || context.Response.StatusCode != StatusCodes.Status200OK
            || context.Features.Get<IHttpRequestTimeoutFeature>() is not { RequestTimeoutToken.IsCancellationRequested: true }) return;

        var services = context.RequestServices;
        var (platform, tenantTag) = WebhookMetrics.TagsOf(context);
        var policy = GatewayLimits.DeadlinePolicy(services.GetRequiredService<IOptions<GatewayLimitsOptions>>().Value);
        services.GetRequiredService<GatewayLog>().WebhookTimedOut(platform, tenantTag, policy.Timeout!.Value, "waiting for a concurrency slot", policy.TimeoutStatusCode!.Value);
        services.GetRequiredService<WebhookMetrics>().Record(platform, tenantTag, WebhookOutcome.TimedOut, policy.Timeout.Value);
        await policy.WriteTimeoutResponse!(context);
    }
}
