using Conversations.Gateway.Admin.Stats;
using Conversations.Gateway.Webhooks;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Microsoft.Extensions.DependencyInjection;

public static class TelemetryServiceCollectionExtensions
{
    /// <summary>Meters every process exports: the project's own, Orleans', Npgsql's, Polly's (retries, breakers).</summary>
    private static readonly string[] Meters = [WebhookMetrics.MeterName, ProjectMeterListener.GrainsMeter, "Microsoft.Orleans", "Npgsql", "Polly"];

    /// <summary>Activity sources traced (exported only over OTLP).</summary>
    private static readonly string[] Sources = ["Conversations.*", "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", "Microsoft.Orleans.Storage"];

    /// <summary>
    /// OpenTelemetry for a silo or a standalone gateway: metrics of ASP.NET Core, HttpClient, the
    /// .NET runtime, Npgsql, Orleans and the project, in Prometheus text at <c>GET /metrics</c>
    /// (<see cref="MapConversationsMetrics"/>); metrics and traces also over OTLP when
    /// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (the exporter reads the standard OTEL_* variables).
    /// Spans are only made when something exports them: OTLP, or <c>Conversations:Telemetry:Tracing=true</c>
    /// for a host that adds its own exporter (tests), so an untraced deployment pays nothing per request.
    /// </summary>
    /// <param name="serviceName">The <c>service.name</c> resource: conversations-silo or conversations-gateway.</param>
    public static IServiceCollection AddConversationsTelemetry(this IServiceCollection services, IConfiguration configuration, string serviceName)
    {
        var otlp = !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(serviceName))
            .WithMetrics(metrics =>
            {
                metrics.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddRuntimeInstrumentation().AddMeter(Meters);
                metrics.AddPrometheusExporter();
                if (otlp) metrics.AddOtlpExporter();
            });
        if (otlp || configuration.GetValue<bool>("Conversations:Telemetry:Tracing"))
            telemetry.WithTracing(tracing =>
            {
                tracing.AddAspNetCoreInstrumentation().AddHttpClientInstrumentation().AddNpgsql().AddSource(Sources);
                if (otlp) tracing.AddOtlpExporter();
            });
        return services;
    }

    /// <summary><c>GET /metrics</c>: Prometheus text (tenant ids appear as labels; no secrets, no texts).</summary>
    public static IEndpointRouteBuilder MapConversationsMetrics(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapPrometheusScrapingEndpoint("/metrics");
        return endpoints;
    }
}
