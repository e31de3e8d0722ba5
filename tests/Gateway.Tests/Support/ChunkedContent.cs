using System.Net;

namespace Conversations.Gateway.Tests.Support;

/// <summary>A body of unknown length, so HttpClient sends it with Transfer-Encoding: chunked (no Content-Length).</summary>
public sealed class ChunkedContent(byte[] bytes, int chunkSize = 512) : HttpContent
{
    protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
    {
        for (var offset = 0; offset < bytes.Length; offset += chunkSize)
        {
            await stream.WriteAsync(bytes.AsMemory(offset, Math.Min(chunkSize, bytes.Length - offset)));
            await stream.FlushAsync();
        }
    }

    protected override bool TryComputeLength(out long length)
    {
        length = 0;
        return false;
    }
}
