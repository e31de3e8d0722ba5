using System.Text.Json;
using Polly;
using Polly.CircuitBreaker;
using Polly.Registry;
using Polly.Retry;
using Polly.Timeout;

namespace Conversations.Grains.Ai;

/// <summary>
/// One Polly pipeline per tenant and AI endpoint, kept in Polly's registry (with its telemetry: the
/// <c>Polly</c> meter and retry/breaker logs): retry with jittered exponential backoff (honouring
/// Retry-After) around a circuit breaker around a per-attempt timeout (Ai:Timeout).
/// <para>
/// It wraps the connector rather than the AI's <see cref="HttpClient"/> (as the platforms' handlers do) because
/// what fails is also the answer's content (malformed JSON, no choices), and because a host's own
/// <c>IChatClient</c> may not use HTTP at all.
/// </para>
/// </summary>
public sealed class AiPipelines(ResiliencePipelineRegistry<string> registry, AiResilienceOptions options, TimeProvider time)
{
    public ResiliencePipeline For(TenantOptions tenant) =>
        registry.GetOrAddPipeline($"ai|{tenant.Id}|{tenant.Ai.Kind}|{tenant.Ai.Endpoint}", (builder, _) => Configure(builder, tenant.Id, tenant.Ai));

    /// <summary>The <c>pipeline.name</c> of every AI pipeline in Polly's telemetry; <c>pipeline.instance</c> is the tenant id.</summary>
    public const string PipelineName = "ai";

    private void Configure(ResiliencePipelineBuilder builder, string tenantId, AiOptions ai)
    {
        builder.TimeProvider = time;
        // Polly's metrics label pipelines by these: the registry key would also show the endpoint.
        builder.Name = PipelineName;
        builder.InstanceName = tenantId;
        var handled = new PredicateBuilder()
            .Handle<AiTransientException>(e => e.RetryAfter is not { } wait || wait <= options.MaxRetryAfter)
            .Handle<HttpRequestException>()
            .Handle<TimeoutRejectedException>()
            .Handle<JsonException>();
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
    }
}
