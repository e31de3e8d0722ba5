using System.Net;
using System.Net.Sockets;

namespace Conversations.TestSupport.Network;

/// <summary>
/// Free loopback ports for the Orleans silo and gateway endpoints of a silo started by a test, so
/// silos of classes running in parallel never collide on the defaults (11111, 30000). Ports are
/// drawn at random below the ephemeral range (32768-60999), where no outgoing connection can take
/// one between the probe and Orleans' bind (port 0 handed out ephemeral ports, and a test's own
/// PostgreSQL or HTTP connections took them: "address already in use"), and above the range the
/// test PostgreSQL servers draw from (20000-32000). A probe releases the port for Orleans to bind;
/// a process-wide set never hands one out twice.
/// </summary>
public static class OrleansTestPorts
{
    private static readonly HashSet<int> Given = [];

    public static int Next()
    {
        while (true)
        {
            var port = Random.Shared.Next(12000, 20000);
            lock (Given) if (Given.Contains(port)) continue;
            if (!IsFree(IPAddress.Loopback, port) || !IsFree(IPAddress.Any, port)) continue;
            lock (Given) if (Given.Add(port)) return port;
        }
    }

    private static bool IsFree(IPAddress address, int port)
    {
        try
        {
            var listener = new TcpListener(address, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    /// <summary>Command-line settings giving a silo its own ports (and the loopback address to advertise).</summary>
    public static string[] SiloArgs() =>
    [
        $"--Orleans:Endpoints:SiloPort={Next()}",
        $"--Orleans:Endpoints:GatewayPort={Next()}",
        "--Orleans:Endpoints:AdvertisedIPAddress=127.0.0.1",
    ];
}
