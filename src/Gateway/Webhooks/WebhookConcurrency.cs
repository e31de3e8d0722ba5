using System.Threading.RateLimiting;
using Conversations.Gateway.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Gateway.Webhooks;

/// <summary>Marks the webhook endpoint, so the concurrency limits apply to it and to nothing else (health, metrics, admin).</summary>
internal sealed class WebhookRouteMetadata
{
    public static readonly WebhookRouteMetadata Instance = new();
}

/// <summary>
/// ASP.NET Core's rate limiter as a bound on webhook requests in progress: a concurrency limiter per
/// tenant chained with one for all tenants, each with a queue; over both, 429 (which both platforms
/// retry). A tenant flooded by a sender cannot take every slot from the others.
/// </summary>
internal static class WebhookConcurrency
{
    // Not valid tenant ids ([a-z0-9-]): they cannot collide with a tenant's partition.
    private const string NotAWebhook = "(none)";
    private const string UnknownTenant = "(unknown)";
    private const string AllTenants = "(all)";

    public static void Configure(RateLimiterOptions options, GatewayLimitsOptions limits, TenantCatalog tenants)
    {
        options.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
        options.OnRejected = OnRejectedAsync;
        var perTenant = ConcurrencyOptions(limits.MaxConcurrentWebhooksPerTenant, limits.MaxQueuedWebhooksPerTenant);
        var total = ConcurrencyOptions(limits.MaxConcurrentWebhooks, limits.MaxQueuedWebhooks);
        options.GlobalLimiter = PartitionedRateLimiter.CreateChained(
            PartitionedRateLimiter.Create<HttpContext, string>(context => IsWebhook(context)
                ? RateLimitPartition.GetConcurrencyLimiter(TenantOf(context, tenants), _ => perTenant)
                : RateLimitPartition.GetNoLimiter(NotAWebhook)),
            PartitionedRateLimiter.Create<HttpContext, string>(context => IsWebhook(context)
                ? RateLimitPartition.GetConcurrencyLimiter(AllTenants, _ => total)
                : RateLimitPartition.GetNoLimiter(NotAWebhook)));
    }

    private static ConcurrencyLimiterOptions ConcurrencyOptions(int permits, int queue) =>
        new() { PermitLimit = permits, QueueLimit = queue, QueueProcessingOrder = QueueProcessingOrder.OldestFirst };

    private static bool IsWebhook(HttpContext context) => context.GetEndpoint()?.Metadata.GetMetadata<WebhookRouteMetadata>() is not null;

    /// <summary>Configured tenants only: a scan of random tenant names shares one partition instead of creating one each.</summary>
    private static string TenantOf(HttpContext context, TenantCatalog tenants) =>
        context.GetRouteValue("tenant") is string id && tenants.Find(id) is { } tenant ? tenant.Id : UnknownTenant;

    private static async ValueTask OnRejectedAsync(OnRejectedContext rejected, CancellationToken cancellationToken)
    {
        var context = rejected.HttpContext;
        var services = context.RequestServices;
        var (platform, tenantTag) = WebhookMetrics.TagsOf(context);
        services.GetRequiredService<GatewayLog>().WebhookThrottled(platform, tenantTag);
        services.GetRequiredService<WebhookMetrics>().Record(platform, tenantTag, WebhookOutcome.Throttled, TimeSpan.Zero);
        context.Response.Headers.RetryAfter = "3";
        await context.Response.WriteAsJsonAsync(new ErrorResponse("too many webhook requests at once; retry later"),
            GatewayJsonContext.Default.ErrorResponse, contentType: null, cancellationToken);
    }
}
