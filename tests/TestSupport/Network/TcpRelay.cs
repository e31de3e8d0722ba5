using System.Net;
using System.Net.Sockets;

namespace Conversations.TestSupport.Network;

/// <summary>
/// A loopback TCP relay in front of a server (PostgreSQL in the cluster tests), so a test can take
/// one process's network away: <see cref="Pause"/> stops forwarding (bytes wait, as on a partitioned
/// link), <see cref="Cut"/> resets every connection and refuses new ones until <see cref="Restore"/>.
/// </summary>
public sealed class TcpRelay : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly string _targetHost;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(TcpClient Client, TcpClient Server)> _connections = [];
    private readonly Lock _lock = new();
    private readonly Task _accepting;
    private volatile TaskCompletionSource _flowing = Open();
    private volatile bool _cut;

    public TcpRelay(string targetHost, int targetPort)
    {
        _targetHost = targetHost;
        _targetPort = targetPort;
        _listener.Start();
        _accepting = Task.Run(AcceptAsync);
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Stops forwarding in both directions; connections stay open and bytes wait.</summary>
    public void Pause()
    {
        if (_flowing.Task.IsCompleted) _flowing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    public void Resume() => _flowing.TrySetResult();

    /// <summary>Resets every open connection and refuses new ones.</summary>
    public void Cut()
    {
        _cut = true;
        Resume();
        lock (_lock)
        {
            foreach (var (client, server) in _connections)
            {
                try { client.Client.LingerState = new LingerOption(true, 0); client.Close(); } catch (SocketException) { } catch (ObjectDisposedException) { }
                try { server.Close(); } catch (SocketException) { } catch (ObjectDisposedException) { }
            }
            _connections.Clear();
        }
    }

    public void Restore() => _cut = false;

    private static TaskCompletionSource Open()
    {
        var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        open.SetResult();
        return open;
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try { client = await _listener.AcceptTcpClientAsync(_stop.Token); }
            catch (Exception) { return; }
            if (_cut) { client.Client.LingerState = new LingerOption(true, 0); client.Close(); continue; }
            _ = Task.Run(() => RelayAsync(client));
        }
    }

    private async Task RelayAsync(TcpClient client)
    {
        var server = new TcpClient();
        try
        {
            await server.ConnectAsync(_targetHost, _targetPort, _stop.Token);
            lock (_lock) _connections.Add((client, server));
            await Task.WhenAny(PumpAsync(client.GetStream(), server.GetStream()), PumpAsync(server.GetStream(), client.GetStream()));
        }
        catch (Exception) { }
        finally
        {
            lock (_lock) _connections.Remove((client, server));
            client.Dispose();
            server.Dispose();
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to)
    {
        var buffer = new byte[16 * 1024];
        try
        {
            while (true)
            {
                var read = await from.ReadAsync(buffer, _stop.Token);
                if (read == 0) return;
                await _flowing.Task.WaitAsync(_stop.Token);
                if (_cut) return;
                await to.WriteAsync(buffer.AsMemory(0, read), _stop.Token);
            }
        }
        catch (Exception) { }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        Cut();
        try { await _accepting; } catch (Exception) { }
        _stop.Dispose();
    }
}
