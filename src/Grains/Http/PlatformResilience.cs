using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Conversations.Grains.Http;

/// <summary>
/// The resilience of every platform REST call (Microsoft.Extensions.Http.Resilience): a per-attempt
/// timeout inside a circuit breaker, one pipeline per tenant and platform host, so one tenant's
/// failing platform never opens another's breaker. No retries: a failed action goes back to its
/// grain, which retries it with backoff and parks it when permanent. Clients name the tenant of a
/// request with <see cref="TenantKey"/>.
/// </summary>
public static class PlatformResilience
{
    public static readonly HttpRequestOptionsKey<string> TenantKey = new("conversations.tenant");

    public static IHttpClientBuilder AddPlatformResilience(this IHttpClientBuilder builder)
    {
        builder.AddResilienceHandler("platform", static (pipeline, context) =>
            {
                var options = context.ServiceProvider.GetRequiredService<PlatformHttpOptions>();
                // The breaker's defaults count 5xx, 408, 429, network errors and timeouts as failures.
                pipeline.AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                {
                    FailureRatio = options.BreakerFailureRatio,
                    MinimumThroughput = options.BreakerMinimumThroughput,
                    SamplingDuration = options.BreakerSamplingDuration,
                    BreakDuration = options.BreakerBreakDuration,
                });
                pipeline.AddTimeout(options.Timeout);
            })
            .SelectPipelineBy(static _ => request => PipelineKey(request));
        return builder;
    }

    /// <summary><c>tenant|scheme://host:port</c>: the breaker's scope.</summary>
    public static string PipelineKey(HttpRequestMessage request) =>
        (request.Options.TryGetValue(TenantKey, out var tenant) ? tenant : "-") + "|" + (request.RequestUri?.GetLeftPart(UriPartial.Authority) ?? "-");
}
