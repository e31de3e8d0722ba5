using Conversations.Gateway.Admin;
using Conversations.Gateway.Health;
using Conversations.Gateway.Hosting;
using Conversations.Gateway.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Microsoft.AspNetCore.Builder;

public static class GatewayEndpointRouteBuilderExtensions
{
    /// <summary>
    /// The gateway's middleware and endpoints: the concurrency limits and the deadline of webhook requests
    /// (<c>Conversations:Gateway:Limits</c>), <c>/healthz</c> and <c>/readyz</c> always, the webhooks and the
    /// admin API unless <c>Conversations:Gateway:Enabled</c> is false.
    /// </summary>
    /// <exception cref="OptionsValidationException">A limit is invalid (the message names the key).</exception>
    public static WebApplication UseConversationsGateway(this WebApplication app)
    {
        // Now rather than at the first request: a bad limit stops the start naming its key.
        _ = app.Services.GetRequiredService<IOptions<GatewayLimitsOptions>>().Value;
        // The deadline covers the wait for a concurrency slot too. The limiter ends a wait cut by the deadline
        // without an answer (it takes it for a client gone), which would go out as an empty 200: the guard answers.
        app.UseRequestTimeouts();
        app.Use(WebhookDeadlineGuard.InvokeAsync);
        app.UseRateLimiter();

        HealthEndpoints.Map(app);

        var options = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        if (!options.Enabled) return app;

        app.MapMethods("/webhooks/{platform}/{tenant}", [HttpMethods.Get, HttpMethods.Post],
                (HttpContext context, string platform, string tenant, WebhookEndpoint webhook) => webhook.HandleAsync(context, platform, tenant))
            .WithRequestTimeout(GatewayLimits.WebhookDeadlinePolicy)
            .WithMetadata(WebhookRouteMetadata.Instance);
        AdminEndpoints.Map(app);
        return app;
    }
}
