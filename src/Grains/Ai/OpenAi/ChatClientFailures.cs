using System.ClientModel;
using System.ClientModel.Primitives;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using Conversations.Grains.Conversation;

namespace Conversations.Grains.Ai.OpenAi;

/// <summary>
/// The OpenAI SDK's failures (<see cref="ClientResultException"/>) mapped to the exceptions the AI pipeline
/// handles, exactly as <see cref="AiHttp.EnsureSuccessAsync"/> maps a hand-made call's answer: 408/429/5xx
/// are transient (with retry-after-ms or Retry-After), x-should-retry decides when the server gives it,
/// a 429 for an exhausted quota and every other 4xx are rejected, a network failure stays an
/// <see cref="HttpRequestException"/>.
/// </summary>
public static class ChatClientFailures
{
    public static Exception Map(ClientResultException failure, TimeProvider time, string engine)
    {
        if (failure.GetRawResponse() is not { } response)
            return failure.InnerException as HttpRequestException ?? new HttpRequestException(failure.Message, failure);
        var code = response.Status;
        var message = $"{engine} answered HTTP {code}";
        var shouldRetry = response.Headers.TryGetValue("x-should-retry", out var hint) ? hint : null;
        if (string.Equals(shouldRetry, "false", StringComparison.OrdinalIgnoreCase)) return new AiRejectedException(message);
        if (code == (int)HttpStatusCode.TooManyRequests && Body(response).Contains("insufficient_quota", StringComparison.Ordinal))
            return new AiRejectedException($"{message} (insufficient quota)");
        if (HttpSendOutcomes.IsTransient((HttpStatusCode)code) || string.Equals(shouldRetry, "true", StringComparison.OrdinalIgnoreCase))
            return new AiTransientException(message, RetryAfter(response, time));
        return new AiRejectedException(message);
    }

    /// <summary>retry-after-ms, then Retry-After (seconds or HTTP date).</summary>
    public static TimeSpan? RetryAfter(PipelineResponse response, TimeProvider time)
    {
        if (response.Headers.TryGetValue("retry-after-ms", out var ms)
            && double.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out var millis) && millis >= 0)
            return TimeSpan.FromMilliseconds(millis);
        if (!response.Headers.TryGetValue("Retry-After", out var value) || !RetryConditionHeaderValue.TryParse(value, out var header)) return null;
        if (header.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    /// <summary>The SDK buffers error bodies; one it did not buffer reads as empty.</summary>
    private static string Body(PipelineResponse response)
    {
        try { return response.Content.ToString(); }
        catch (InvalidOperationException) { return ""; }
    }
}
