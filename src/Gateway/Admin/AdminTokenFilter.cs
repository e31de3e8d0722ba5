using System.Security.Cryptography;
using System.Text;
using Conversations.Gateway.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;

namespace Conversations.Gateway.Admin;

/// <summary>
/// Guards /admin and /dashboard: 404 when no token is configured (they do not exist), 401 unless the
/// request carries <c>Authorization: Bearer &lt;token&gt;</c>, or HTTP Basic with the token as the
/// password (what a browser sends after its own login prompt, on every request of the console's and
/// the dashboard's pages; those two pages answer 401 with the Basic challenge, the API with Bearer). Compared as SHA-256 digests with a fixed-time comparison, so neither the content nor the
/// length of the token leaks through timing.
/// </summary>
public sealed class AdminTokenFilter(IOptions<AdminOptions> options, GatewayLog log) : IEndpointFilter
{
    private readonly byte[]? _expected = string.IsNullOrEmpty(options.Value.Token) ? null : Secrets.Digest(options.Value.Token);

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (_expected is null)
            return TypedResults.Json(new ErrorResponse("not found"), GatewayJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status404NotFound);

        var header = http.Request.Headers.Authorization.ToString();
        var presented = BearerToken(header) ?? BasicPassword(header);
        if (presented is null || !CryptographicOperations.FixedTimeEquals(Secrets.Digest(presented), _expected))
        {
            log.AdminRefused(http.Request.Path, presented is null ? "no token" : "wrong token");
            // A browser shows its login prompt for Basic; API clients send the Bearer token.
            http.Response.Headers.WWWAuthenticate = IsBrowserPage(http.Request.Path)
                ? "Basic realm=\"Conversations admin\", charset=\"UTF-8\""
                : "Bearer";
            return TypedResults.Json(new ErrorResponse("unauthorized"), GatewayJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status401Unauthorized);
        }

        return await next(context);
    }

    /// <summary>The pages a browser opens itself (the console at /admin, Orleans' dashboard): they get the Basic challenge.</summary>
    public static bool IsBrowserPage(PathString path) =>
        path.StartsWithSegments("/dashboard") || path.Equals(ConsolePage.Path) || path.Equals(ConsolePage.Path + "/");

    private static string? BearerToken(string header)
    {
        const string scheme = "Bearer ";
        return header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) && header.Length > scheme.Length
            ? header[scheme.Length..].Trim()
            : null;
    }

    /// <summary>The password of <c>Basic base64(user:password)</c> (any user name), or null.</summary>
    private static string? BasicPassword(string header)
    {
        const string scheme = "Basic ";
        if (!header.StartsWith(scheme, StringComparison.OrdinalIgnoreCase) || header.Length <= scheme.Length) return null;
        try
        {
            var decoded = Encoding.UTF8.GetString(Convert.FromBase64String(header[scheme.Length..].Trim()));
            var colon = decoded.IndexOf(':', StringComparison.Ordinal);
            return colon < 0 || colon == decoded.Length - 1 ? null : decoded[(colon + 1)..];
        }
        catch (FormatException)
        {
            return null;
        }
    }

}
