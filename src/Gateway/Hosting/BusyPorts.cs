using System.Net;
using System.Net.Sockets;
using Conversations.Storage;

namespace Conversations.Gateway.Hosting;

/// <summary>
/// Checks, before anything starts, that the ports a process will listen on are free, so a busy
/// port stops the start with one line naming the setting instead of a failed start's stack traces.
/// (Something may still take the port in between; then the start fails the usual way.)
/// </summary>
public static class BusyPorts
{
    /// <summary>The HTTP listen addresses (<c>--urls</c> / <c>ASPNETCORE_URLS</c>; port 0 and unparsable ones are skipped).</summary>
    public static IEnumerable<(string Setting, IPEndPoint EndPoint)> FromUrls(string? urls)
    {
        foreach (var url in (urls ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var normalized = url.Replace("://*", "://0.0.0.0", StringComparison.Ordinal).Replace("://+", "://0.0.0.0", StringComparison.Ordinal);
            if (!Uri.TryCreate(normalized, UriKind.Absolute, out var uri) || uri.Port <= 0) continue;
            var address = uri.Host == "localhost" ? IPAddress.Loopback : IPAddress.TryParse(uri.Host.Trim('[', ']'), out var ip) ? ip : null;
            if (address is not null) yield return ($"the listen address {url} (--urls)", new IPEndPoint(address, uri.Port));
        }
    }

    /// <exception cref="StartupProblemException">One of them is taken.</exception>
    public static void ThrowIfAnyBusy(IEnumerable<(string Setting, IPEndPoint EndPoint)> endpoints)
    {
        foreach (var (setting, endpoint) in endpoints)
        {
            using var probe = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            try { probe.Bind(endpoint); }
            catch (SocketException ex) when (ex.SocketErrorCode is SocketError.AddressAlreadyInUse or SocketError.AccessDenied)
            {
                throw new StartupProblemException($"Port {endpoint.Port} of {setting} is {(ex.SocketErrorCode == SocketError.AccessDenied ? "not allowed" : "already in use")}: choose another one.");
            }
            catch (SocketException) { /* an address this host does not have: Kestrel or Orleans will say so */ }
        }
    }
}
