using System.Net.Sockets;
using System.Text;

namespace Conversations.Gateway.Tests.Support;

/// <summary>
/// One HTTP/1.1 connection on a raw socket, for what HttpClient will not do: send a head and part of a
/// body, then stall, and watch when the server answers and when it closes the connection.
/// </summary>
public sealed class RawHttpConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly MemoryStream _received = new();
    private int _consumed;

    private RawHttpConnection(Socket socket) => _socket = socket;

    public static async Task<RawHttpConnection> OpenAsync(Uri server, CancellationToken cancellationToken = default)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(server.Host, server.Port, cancellationToken);
        return new RawHttpConnection(socket);
    }

    /// <summary>The request line and headers of a POST whose body is <paramref name="contentLength"/> bytes (none sent yet).</summary>
    public Task SendHeadAsync(string pathAndQuery, long contentLength, IEnumerable<KeyValuePair<string, string>>? headers = null)
    {
        var head = new StringBuilder($"POST {pathAndQuery} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {contentLength}\r\n");
        foreach (var (name, value) in headers ?? []) head.Append(name).Append(": ").Append(value).Append("\r\n");
        head.Append("\r\n");
        return SendAsync(Encoding.ASCII.GetBytes(head.ToString()), CancellationToken.None);
    }

    /// <summary>Sends bytes; once the server stops reading this waits on the socket's buffers (cancel it, or let the close end it).</summary>
    public async Task SendAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken)
    {
        while (!bytes.IsEmpty)
        {
            var sent = await _socket.SendAsync(bytes, SocketFlags.None, cancellationToken);
            bytes = bytes[sent..];
        }
    }

    /// <summary>
    /// The status code of the next response head (an interim 100 Continue is one), once it arrived; null when the
    /// connection closed or nothing came in time.
    /// </summary>
    public async Task<int?> ReadStatusAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var text = Encoding.ASCII.GetString(_received.GetBuffer(), _consumed, (int)_received.Length - _consumed);
                var start = text.IndexOf("HTTP/1.1 ", StringComparison.Ordinal);
                var end = start < 0 ? -1 : text.IndexOf("\r\n\r\n", start, StringComparison.Ordinal);
                if (end >= 0)
                {
                    _consumed += end + 4;
                    return int.Parse(text.AsSpan(start + 9, 3), System.Globalization.CultureInfo.InvariantCulture);
                }
                var read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (read == 0) return null;
                _received.Write(buffer, 0, read);
            }
        }
        catch (OperationCanceledException) { return null; }
        catch (SocketException) { return null; }
    }

    /// <summary>The response so far, as text (head and whatever of the body arrived).</summary>
    public string Received => Encoding.UTF8.GetString(_received.GetBuffer(), 0, (int)_received.Length);

    /// <summary>True when the server closed (or reset) the connection within <paramref name="timeout"/>.</summary>
    public async Task<bool> WaitClosedAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                var read = await _socket.ReceiveAsync(buffer, SocketFlags.None, cts.Token);
                if (read == 0) return true;
                _received.Write(buffer, 0, read);
            }
        }
        catch (OperationCanceledException) { return false; }
        catch (SocketException) { return true; }
    }

    public ValueTask DisposeAsync()
    {
        _socket.Dispose();
        _received.Dispose();
        return ValueTask.CompletedTask;
    }
}
