using System.Collections.Concurrent;
using System.Net;
using Polly;
using Polly.CircuitBreaker;

namespace Conversations.Grains.Http;

/// <summary>
/// Carries a Polly pipeline (per-attempt timeout inside a circuit breaker) for every platform request, one
/// pipeline per tenant and endpoint. Clients name the tenant with <see cref="TenantKey"/>.
/// </summary>
public sealed class PlatformResilienceHandler(PlatformPipelines pipelines) : DelegatingHandler
{
    public static readonly HttpRequestOptionsKey<string> TenantKey = new("conversations.tenant");

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var tenant = request.Options.TryGetValue(TenantKey, out var t) ? t : "-";
        var pipeline = pipelines.For(tenant, request.RequestUri?.GetLeftPart(UriPartial.Authority) ?? "-");
        return await pipeline.ExecuteAsync(
            static (state, ct) => new ValueTask<HttpResponseMessage>(state.self.SendCoreAsync(state.request, ct)),
            (self: this, request), cancellationToken);
    }

    private Task<HttpResponseMessage> SendCoreAsync(HttpRequestMessage request, CancellationToken cancellationToken) => base.SendAsync(request, cancellationToken);
}

/// <summary>The platform pipelines, built once per tenant and endpoint.</summary>
public sealed class PlatformPipelines(PlatformHttpOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, ResiliencePipeline<HttpResponseMessage>> _pipelines = new(StringComparer.Ordinal);

    public ResiliencePipeline<HttpResponseMessage> For(string tenant, string endpoint) =>
        _pipelines.GetOrAdd($"{tenant}|{endpoint}", _ => new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<HttpResponseMessage>
            {
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<Polly.Timeout.TimeoutRejectedException>()
                    .HandleResult(r => (int)r.StatusCode >= 500 || r.StatusCode == HttpStatusCode.TooManyRequests),
                FailureRatio = options.BreakerFailureRatio,
                MinimumThroughput = options.BreakerMinimumThroughput,
                SamplingDuration = options.BreakerSamplingDuration,
                BreakDuration = options.BreakerBreakDuration,
            })
            .AddTimeout(options.Timeout)
            .Build());
}
