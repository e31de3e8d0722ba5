using System.Net.Http.Headers;
using System.Net;

namespace Conversations.Grains.Conversation;

/// <summary>
/// Maps platform HTTP results to <see cref="SendOutcome"/>: 2xx sent; 408, 429 and 5xx retry later
/// (after Retry-After when given); any other status is permanent (parked by the relay).
/// </summary>
public static class HttpSendOutcomes
{
    public static async ValueTask<SendOutcome> FromResponseAsync(HttpResponseMessage response, TimeProvider time, CancellationToken cancellationToken)
    {
        var code = (int)response.StatusCode;
        if (response.IsSuccessStatusCode) return SendOutcome.Sent;
        var detail = await ReadDetailAsync(response, cancellationToken);
        var error = $"HTTP {code} {response.ReasonPhrase}{detail}";
        return IsTransient(response.StatusCode)
            ? SendOutcome.Retry(error, RetryAfter(response, time))
            : SendOutcome.Failed(error);
    }

    public static bool IsTransient(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>The server's Retry-After as a delay (seconds or an HTTP date), or null.</summary>
    public static TimeSpan? RetryAfter(HttpResponseMessage response, TimeProvider time) => RetryAfter(response.Headers.RetryAfter, time);

    /// <summary>A parsed Retry-After as a delay (seconds or an HTTP date), or null.</summary>
    public static TimeSpan? RetryAfter(RetryConditionHeaderValue? header, TimeProvider time)
    {
        if (header?.Delta is { } delta) return delta < TimeSpan.Zero ? TimeSpan.Zero : delta;
        if (header?.Date is { } date)
        {
            var wait = date - time.GetUtcNow();
            return wait < TimeSpan.Zero ? TimeSpan.Zero : wait;
        }
        return null;
    }

    private static async ValueTask<string> ReadDetailAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (string.IsNullOrWhiteSpace(body)) return "";
            body = body.ReplaceLineEndings(" ");
            return ": " + (body.Length > 300 ? body[..300] + "…" : body);
        }
        catch (HttpRequestException) { return ""; }
    }
}
