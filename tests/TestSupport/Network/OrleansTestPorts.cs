using System.Net;
using System.Net.Sockets;

namespace Conversations.TestSupport.Network;

/// <summary>
/// Free loopback ports for the Orleans silo and gateway endpoints of a silo started by a test, so
/// silos of classes running in parallel never collide on the defaults (11111, 30000). The port is
/// probed and released (Orleans binds it itself); a process-wide set never hands one out twice.
/// </summary>
public static class OrleansTestPorts
{
    private static readonly HashSet<int> Given = [];

    public static int Next()
    {
        while (true)
        {
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            listener.Stop();
            lock (Given) if (Given.Add(port)) return port;
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
