using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace Conversations.Grains.Platforms.Engage.Http;

/// <summary>
/// Engage reads (GET) are retried on 429, 5xx, 408, timeouts and network errors with jittered
/// exponential backoff that honors <c>Retry-After</c> (capped at 30 s). Writes are not retried
/// here: they are the grain's actions, retried by the grain (and parked when permanent).
/// </summary>
public static class EngageReadRetries
{
    private static readonly TimeSpan MaxRetryAfter = TimeSpan.FromSeconds(30);

    public static IHttpClientBuilder AddEngageReadRetries(this IHttpClientBuilder builder)
    {
        builder.AddResilienceHandler("engage-reads", static pipeline =>
        {
            var retry = new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = 2,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(500),
                ShouldRetryAfterHeader = false, // our own generator below: it caps the wait
                DelayGenerator = static args => ValueTask.FromResult(
                    args.Outcome is { Result.Headers.RetryAfter.Delta: { } delta } && delta > TimeSpan.Zero
                        ? (TimeSpan?)(delta < MaxRetryAfter ? delta : MaxRetryAfter)
                        : null),
            };
            retry.DisableForUnsafeHttpMethods(); // POST/PUT/DELETE: never twice from here
            pipeline.AddRetry(retry);
        });
        return builder;
    }
}
