using Conversations.Gateway.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Conversations.Gateway.Health;

/// <summary><c>/healthz</c>: the process is alive. <c>/readyz</c>: it would store a webhook now.</summary>
internal static class HealthEndpoints
{
    public static void Map(IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/healthz", () => TypedResults.Json(new HealthResponse("alive"), GatewayJsonContext.Default.HealthResponse));

        endpoints.MapGet("/readyz", async (ReadinessCheck readiness, CancellationToken cancellationToken) =>
        {
            var problem = await readiness.FindProblemAsync(cancellationToken);
            return problem is null
                ? TypedResults.Json(new HealthResponse("ready"), GatewayJsonContext.Default.HealthResponse)
                : TypedResults.Json(new HealthResponse("unready", problem), GatewayJsonContext.Default.HealthResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
        });
    }
}
