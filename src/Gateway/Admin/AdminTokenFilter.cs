using System.Security.Cryptography;
using System.Text;
using Conversations.Gateway.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Conversations.Gateway.Admin;

/// <summary>
/// Guards /admin: 404 when no token is configured (the API does not exist), 401 unless the request
/// carries <c>Authorization: Bearer &lt;token&gt;</c>. Compared as SHA-256 digests with a fixed-time
/// comparison, so neither the content nor the length of the token leaks through timing.
/// </summary>
internal sealed class AdminTokenFilter(IOptions<AdminOptions> options, GatewayLog log) : IEndpointFilter
{
    private readonly byte[]? _expected = string.IsNullOrEmpty(options.Value.Token) ? null : Digest(options.Value.Token);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (_expected is null)
            return TypedResults.Json(new ErrorResponse("not found"), GatewayJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status404NotFound);

        var presented = BearerToken(http.Request.Headers.Authorization.ToString());
        if (presented is null || !CryptographicOperations.FixedTimeEquals(Digest(presented), _expected))
        {
            log.AdminRefused(http.Request.Path, presented is null ? "no bearer token" : "wrong token");
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return TypedResults.Json(new ErrorResponse("unauthorized"), GatewayJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status401Unauthorized);
        }

        return await next(context);
    }

    private static string? BearerToken(string header)
    {
        const string scheme = "Bearer ";
        return header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && header.Length > scheme.Length
            ? header[scheme.Length..].Trim()
            : null;
    }

    private static byte[] Digest(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));
}
