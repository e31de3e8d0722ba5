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
        BadHttpRequestException;
}
