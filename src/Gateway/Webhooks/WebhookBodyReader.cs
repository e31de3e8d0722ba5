using System.Buffers;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Conversations.Gateway.Webhooks;

/// <summary>
/// Reads a webhook's raw body once, refusing anything over the limit: up front from Content-Length,
/// and while reading for chunked bodies (so a lying or absent length cannot get more in).
/// </summary>
internal static class WebhookBodyReader
{
    /// <summary>The body, or null when it is over <paramref name="limit"/> (answer 413).</summary>
    public static async Task<ReadOnlyMemory<byte>?> ReadAsync(HttpRequest request, long limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit) return null;

        // The exact check is ours, on decoded bytes. The server's own limit is only a backstop (it may
        // count chunk framing), so it gets headroom, and it replaces the server default (30 MB) either way.
        var sizeFeature = request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false }) sizeFeature.MaxRequestBodySize = limit * 2 + 16 * 1024;

        var initial = (int)Math.Min(request.ContentLength ?? 4096, limit);
        var buffer = ArrayPool<byte>.Shared.Rent(Math.Max(initial, 256));
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    // Grow, but never beyond limit + 1: one byte past the limit is enough to know.
                    var larger = ArrayPool<byte>.Shared.Rent((int)Math.Min((long)buffer.Length * 2, limit + 1));
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await request.Body.ReadAsync(buffer.AsMemory(length, (int)Math.Min(buffer.Length - length, limit + 1 - length)), cancellationToken);
                if (read == 0) break;
                length += read;
                if (length > limit) return null;
            }

            return buffer.AsSpan(0, length).ToArray();
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
