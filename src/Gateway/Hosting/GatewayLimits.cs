using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Conversations.Gateway.Hosting;

/// <summary>Turns <see cref="GatewayLimitsOptions"/> into Kestrel's limits and the webhook deadline's request-timeout policy.</summary>
internal static class GatewayLimits
{
    public const string WebhookDeadlinePolicy = "conversations-webhook-deadline";

    public static void ApplyTo(KestrelServerLimits kestrel, GatewayLimitsOptions limits)
    {
        kestrel.MaxConcurrentConnections = limits.MaxConcurrentConnections;
        kestrel.MaxRequestBufferSize = limits.MaxRequestBufferBytes;
        kestrel.RequestHeadersTimeout = limits.RequestHeadersTimeout;
        kestrel.KeepAliveTimeout = limits.KeepAliveTimeout;
        kestrel.MinRequestBodyDataRate = new MinDataRate(limits.MinRequestBodyBytesPerSecond, limits.MinRequestBodyGracePeriod);
    }

    /// <summary>
    /// What answers when the deadline ends a request outside the webhook endpoint's own handling (the endpoint
    /// answers its own phases): 503, nothing stored, the connection closed.
    /// </summary>
    public static RequestTimeoutPolicy DeadlinePolicy(GatewayLimitsOptions limits) => new()
    {
        Timeout = limits.WebhookDeadline,
        TimeoutStatusCode = StatusCodes.Status503ServiceUnavailable,
        WriteTimeoutResponse = static context => AnswerAndCloseAsync(context, StatusCodes.Status503ServiceUnavailable, "not served within the deadline"),
    };

    /// <summary>
    /// Answers a request past its deadline and ends its connection after it. Kestrel still discards what
    /// arrives of an unread body for up to 5 s before it closes (an abort instead could lose the answer).
    /// </summary>
    public static Task AnswerAndCloseAsync(HttpContext context, int status, string reason)
    {
        context.Response.StatusCode = status;
        context.Response.Headers.Connection = "close";
        // RequestAborted is cancelled with the deadline: the few bytes of the answer go out without it.
        return context.Response.WriteAsJsonAsync(new ErrorResponse(reason), GatewayJsonContext.Default.ErrorResponse, contentType: null, CancellationToken.None);
    }
}
