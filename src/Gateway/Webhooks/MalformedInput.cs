using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Conversations.Gateway.Webhooks;

/// <summary>
/// Exceptions that mean the request itself was bad (answer 400: a retry would fail the same way).
/// Anything else escaping a handler means the event could not be taken in, so 500 lets the platform retry.
/// </summary>
internal static class MalformedInput
{
    public static bool Is(Exception exception) => exception is
        JsonException or
        FormatException or
        InvalidDataException or
        DecoderFallbackException or
        BadHttpRequestException
        || IsUnreadableText(exception);

    /// <summary>
    /// System.Text.Json throws <see cref="InvalidOperationException"/> when a string holds invalid UTF-8 or
    /// an escaped lone surrogate (it cannot become a .NET string): the body is malformed, not the gateway broken.
    /// </summary>
    public static bool IsUnreadableText(Exception exception) =>
        exception is InvalidOperationException { TargetSite.DeclaringType: { } thrower } && thrower.Assembly == typeof(JsonDocument).Assembly;

    /// <summary>Why a body is refused before parsing: raw bytes that are not UTF-8 (JSON text must be).</summary>
    public static string? Utf8Problem(ReadOnlySpan<byte> body) =>
        System.Text.Unicode.Utf8.IsValid(body) ? null : "body is not valid UTF-8";

    public const string UnreadableText = "a string field holds invalid UTF-8 or a lone surrogate";
}
