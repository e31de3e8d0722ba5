using System.Net;
using System.Text.Json;

namespace Conversations.Grains.Platforms.Engage.Api;

/// <summary>
/// An Engage API error: <c>{"error":"&lt;identifier&gt;","message":"...","status":n}</c> when the body
/// is JSON (Engage's REST errors), otherwise just the status. <see cref="Transient"/> says whether a retry can help.
/// </summary>
public sealed class EngageApiException(HttpStatusCode status, string? error, string? detail, TimeSpan? retryAfter, string operation)
    : Exception($"Engage {operation} failed: {(int)status} {error ?? status.ToString()}{(string.IsNullOrEmpty(detail) ? "" : " - " + detail)}")
{
    public const string ClosedThread = "cant_reply_to_closed_thread";

    public HttpStatusCode Status { get; } = status;
    /// <summary>Engage's error identifier (for example <c>cant_reply_to_closed_thread</c>, <c>rate_limit_exceeded</c>).</summary>
    public string? Error { get; } = error;
    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>429 and 5xx are worth retrying; other 4xx will fail the same way again.</summary>
    public bool Transient => Status == HttpStatusCode.TooManyRequests || (int)Status >= 500 || Status == HttpStatusCode.RequestTimeout;

    public static EngageApiException From(HttpStatusCode status, ReadOnlySpan<byte> body, TimeSpan? retryAfter, string operation)
    {
        string? error = null, message = null;
        try
        {
            var reader = new Utf8JsonReader(body);
            if (JsonDocument.TryParseValue(ref reader, out var document))
            {
                using (document)
                {
                    if (document.RootElement.ValueKind == JsonValueKind.Object)
                    {
                        if (document.RootElement.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String) error = e.GetString();
                        if (document.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String) message = m.GetString();
                    }
                }
            }
        }
        catch (JsonException)
        {
            // "A few errors" are not JSON (Engage's REST errors): the status alone carries the meaning.
        }
        return new EngageApiException(status, error, message, retryAfter, operation);
    }
}
