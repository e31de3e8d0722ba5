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
    /// Maps <c>/healthz</c> and <c>/readyz</c> always; the webhooks and the admin API unless
    /// <c>Conversations:Gateway:Enabled</c> is false.
    /// </summary>
    public static IEndpointRouteBuilder MapConversationsGateway(this IEndpointRouteBuilder endpoints)
    {
        HealthEndpoints.Map(endpoints);

        var options = endpoints.ServiceProvider.GetRequiredService<IOptions<GatewayOptions>>().Value;
        if (!options.Enabled) return endpoints;

        endpoints.MapMethods("/webhooks/{platform}/{tenant}", [HttpMethods.Get, HttpMethods.Post],
            (HttpContext context, string platform, string tenant, WebhookEndpoint webhook) => webhook.HandleAsync(context, platform, tenant));
        AdminEndpoints.Map(endpoints);
        return endpoints;
    }
}
