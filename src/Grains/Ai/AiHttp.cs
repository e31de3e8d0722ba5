using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Conversations.Grains.Conversation;

namespace Conversations.Grains.Ai;

/// <summary>Helpers shared by the HTTP connectors: the client, status mapping and the context text.</summary>
public static class AiHttp
{
    public const string HttpClientName = "ai";

    /// <summary>Maps a non-success answer to a transient (408/429/5xx, honouring Retry-After) or permanent failure.</summary>
    public static async ValueTask EnsureSuccessAsync(HttpResponseMessage response, TimeProvider time, string engine, CancellationToken cancellationToken)
    {
        if (response.IsSuccessStatusCode) return;
        var body = await ReadSafeAsync(response, cancellationToken);
        var shouldRetry = response.Headers.TryGetValues("x-should-retry", out var hint) ? hint.FirstOrDefault() : null;
        var retryAfterMs = response.Headers.TryGetValues("retry-after-ms", out var ms) ? ms.FirstOrDefault() : null;
        throw Failure(engine, (int)response.StatusCode, shouldRetry, body, RetryAfter(retryAfterMs, response.Headers.RetryAfter, time));
    }

    /// <summary>
    /// A failed answer as the exception the AI pipeline handles, for every HTTP engine and the OpenAI SDK alike:
    /// x-should-retry decides when the server gives it, a 429 for an exhausted quota is rejected, 408/429/5xx are
    /// transient (waiting <paramref name="retryAfter"/>), every other status is rejected.
    /// </summary>
    public static Exception Failure(string engine, int code, string? shouldRetry, string body, TimeSpan? retryAfter)
    {
        var message = $"{engine} answered HTTP {code}";
        if (string.Equals(shouldRetry, "false", StringComparison.OrdinalIgnoreCase)) return new AiRejectedException(message);
        if (code == (int)HttpStatusCode.TooManyRequests && body.Contains("insufficient_quota", StringComparison.Ordinal))
            return new AiRejectedException($"{message} (insufficient quota)");
        if (HttpSendOutcomes.IsTransient((HttpStatusCode)code) || string.Equals(shouldRetry, "true", StringComparison.OrdinalIgnoreCase))
            return new AiTransientException(message, retryAfter);
        return new AiRejectedException(message);
    }

    /// <summary>retry-after-ms, then Retry-After (seconds or HTTP date).</summary>
    public static TimeSpan? RetryAfter(string? retryAfterMs, RetryConditionHeaderValue? retryAfter, TimeProvider time) =>
        double.TryParse(retryAfterMs, NumberStyles.Float, CultureInfo.InvariantCulture, out var millis) && millis >= 0
            ? TimeSpan.FromMilliseconds(millis)
            : HttpSendOutcomes.RetryAfter(retryAfter, time);

    public static void Authorize(HttpRequestMessage request, AiOptions ai)
    {
        if (!string.IsNullOrEmpty(ai.ApiKey)) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", ai.ApiKey);
    }

    /// <summary>The endpoint with <paramref name="path"/> appended unless it already ends with it.</summary>
    public static Uri Resolve(AiOptions ai, string path)
    {
        var endpoint = (ai.Endpoint ?? throw new AiRejectedException("Ai:Endpoint is not set")).TrimEnd('/');
        return new Uri(endpoint.EndsWith(path, StringComparison.OrdinalIgnoreCase) ? endpoint : endpoint + path);
    }

    /// <summary>What the payload told us about the customer and the conversation, one fact per line.</summary>
    public static string ContextText(IReadOnlyDictionary<string, string> context)
    {
        if (context.Count == 0) return "";
        var text = new StringBuilder("What we know about the customer and this conversation:");
        foreach (var (name, value) in context.OrderBy(p => p.Key, StringComparer.Ordinal))
            text.Append("\n- ").Append(name).Append(": ").Append(value);
        return text.ToString();
    }

    public static string RoleName(TranscriptRole role) => role switch
    {
        TranscriptRole.Customer => "customer",
        TranscriptRole.Bot => "bot",
        _ => "agent",
    };

    private static async ValueTask<string> ReadSafeAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try { return await response.Content.ReadAsStringAsync(cancellationToken); }
        catch (HttpRequestException) { return ""; }
    }

    public static JsonElement? Property(this JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public static string? String(this JsonElement element, string name) =>
        element.Property(name) is { ValueKind: JsonValueKind.String } v ? v.GetString() : element.Property(name)?.ToString();
}
