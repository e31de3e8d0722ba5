using System.Collections.Concurrent;
using System.Text.Json;
using Polly;
using Polly.CircuitBreaker;
using Polly.Retry;
using Polly.Timeout;

namespace Conversations.Grains.Ai;

/// <summary>
/// One Polly pipeline per tenant and AI endpoint: retry with jittered exponential backoff (honouring
/// Retry-After) around a circuit breaker around a per-attempt timeout (Ai:Timeout).
/// </summary>
public sealed class AiPipelines(AiResilienceOptions options, TimeProvider time)
{
    private readonly ConcurrentDictionary<string, ResiliencePipeline> _pipelines = new(StringComparer.Ordinal);

    public ResiliencePipeline For(TenantOptions tenant) =>
        _pipelines.GetOrAdd($"{tenant.Id}|{tenant.Ai.Kind}|{tenant.Ai.Endpoint}", _ => Build(tenant.Ai));

    private ResiliencePipeline Build(AiOptions ai)
    {
        var handled = new PredicateBuilder()
            .Handle<AiTransientException>(e => e.RetryAfter is not { } wait || wait <= options.MaxRetryAfter)
            .Handle<HttpRequestException>()
            .Handle<TimeoutRejectedException>()
            .Handle<JsonException>();
        var builder = new ResiliencePipelineBuilder { TimeProvider = time };
        if (ai.MaxRetries > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                ShouldHandle = handled,
                MaxRetryAttempts = ai.MaxRetries,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = options.RetryBaseDelay,
                DelayGenerator = static args => ValueTask.FromResult(
                    args.Outcome.Exception is AiTransientException { RetryAfter: { } wait } ? (TimeSpan?)wait : null),
            });
        }
        builder.AddCircuitBreaker(new CircuitBreakerStrategyOptions
        {
            ShouldHandle = handled,
            FailureRatio = options.BreakerFailureRatio,
            MinimumThroughput = options.BreakerMinimumThroughput,
            SamplingDuration = options.BreakerSamplingDuration,
            BreakDuration = options.BreakerBreakDuration,
        });
        builder.AddTimeout(ai.Timeout);
        return builder.Build();
    }
}
