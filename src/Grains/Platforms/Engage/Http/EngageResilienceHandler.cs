using System.Net;
using Polly;
using Polly.Retry;

namespace Conversations.Grains.Platforms.Engage.Http;

/// <summary>
/// Outer handler carrying a Polly.Core pipeline: reads (GET) are retried on 429, 5xx, timeouts and
/// network errors with jittered exponential backoff that honors <c>Retry-After</c>. Writes are not
/// retried here: they are outbox actions, retried by the outbox relay (and parked when permanent).
/// </summary>
public sealed class EngageResilienceHandler : DelegatingHandler
{
    private readonly ResiliencePipeline<HttpResponseMessage> _reads;

    public EngageResilienceHandler(TimeProvider time)
    {
        _reads = new ResiliencePipelineBuilder<HttpResponseMessage> { TimeProvider = time }
            .AddRetry(new RetryStrategyOptions<HttpResponseMessage>
            {
                MaxRetryAttempts = 2,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(500),
                ShouldHandle = new PredicateBuilder<HttpResponseMessage>()
                    .Handle<HttpRequestException>()
                    .Handle<TimeoutException>()
                    .Handle<Polly.Timeout.TimeoutRejectedException>()
                    .HandleResult(r => r.StatusCode == HttpStatusCode.TooManyRequests || (int)r.StatusCode >= 500),
                DelayGenerator = args => ValueTask.FromResult(args.Outcome is { Result.Headers.RetryAfter.Delta: { } delta } && delta > TimeSpan.Zero
                    ? (TimeSpan?)(delta < TimeSpan.FromSeconds(30) ? delta : TimeSpan.FromSeconds(30))
                    : null),
                OnRetry = args =>
                {
                    if (args.Outcome is { Result: { } response }) response.Dispose();
                    return ValueTask.CompletedTask;
                },
            })
            .Build();
    }

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method != HttpMethod.Get) return base.SendAsync(request, cancellationToken);
        return _reads.ExecuteAsync(
            static async (state, token) => await state.Self.BaseSend(state.Request, token).ConfigureAwait(false),
            (Self: this, Request: request),
            cancellationToken).AsTask();
    }

    private Task<HttpResponseMessage> BaseSend(HttpRequestMessage request, CancellationToken cancellationToken) => base.SendAsync(request, cancellationToken);
}
