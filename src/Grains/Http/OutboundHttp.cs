using System.Net;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Grains.Http;

/// <summary>
/// How outbound clients (AI engines, platform APIs) hold connections. A burst of thousands of replies
/// must not open thousands of sockets to one platform (each is a file descriptor on both sides), so
/// requests beyond the per-server cap wait for a free connection (the cap counts HTTP/1.1 connections;
/// over TLS, HTTP/2 is offered and many calls share one connection). Plain http stays HTTP/1.1.
/// </summary>
public static class OutboundHttp
{
    /// <summary>Connections are recycled after this, so DNS changes (failover, blue/green) are seen.</summary>
    private static readonly TimeSpan ConnectionLifetime = TimeSpan.FromMinutes(2);

    /// <param name="maxConnectionsPerServer">Reads the cap from the container; 0 means no cap.</param>
    public static IHttpClientBuilder UseOutboundConnections(this IHttpClientBuilder builder, Func<IServiceProvider, int> maxConnectionsPerServer) =>
        builder
            // One handler for the life of the process: the cap holds for the whole process, and
            // PooledConnectionLifetime (not handler rotation) takes care of DNS.
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            // The factory's per-request log lines and scopes cost allocations on every call; the
            // outbox relay and the AI pipeline log what matters (failures, retries, parking).
            .RemoveAllLoggers()
            .ConfigurePrimaryHttpMessageHandler(services => CreateHandler(maxConnectionsPerServer(services)))
            .AddHttpMessageHandler(() => new PreferHttp2Handler());

    public static SocketsHttpHandler CreateHandler(int maxConnectionsPerServer) => new()
    {
        MaxConnectionsPerServer = maxConnectionsPerServer > 0 ? maxConnectionsPerServer : int.MaxValue,
        PooledConnectionLifetime = ConnectionLifetime,
        EnableMultipleHttp2Connections = true,
        AutomaticDecompression = DecompressionMethods.None,
        // One handler serves every tenant for the life of the process: no shared cookie jar
        // (session or load-balancer cookies of one host must not follow every tenant forever).
        UseCookies = false,
    };

    /// <summary>Asks for HTTP/2 and accepts less: TLS servers negotiate it (ALPN), plain http keeps HTTP/1.1.</summary>
    private sealed class PreferHttp2Handler : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            request.Version = HttpVersion.Version20;
            request.VersionPolicy = HttpVersionPolicy.RequestVersionOrLower;
            return base.SendAsync(request, cancellationToken);
        }
    }
}
