using Microsoft.AspNetCore.Http;

namespace Conversations.Gateway.Admin;

/// <summary>
/// The operator console at <c>/admin</c>: one embedded HTML page with its script inline, reading the
/// admin API with the browser's Basic login (the token as password). Nothing is loaded from elsewhere.
/// </summary>
internal static class ConsolePage
{
    public const string Path = "/admin";

    private static readonly byte[] Html = Load();

    public static IResult Serve(HttpContext http)
    {
        var headers = http.Response.Headers;
        headers.CacheControl = "no-store";
        headers.XContentTypeOptions = "nosniff";
        headers["Referrer-Policy"] = "no-referrer";
        headers.ContentSecurityPolicy = "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src 'self'; frame-ancestors 'none'; form-action 'none'";
        return TypedResults.Bytes(Html, "text/html; charset=utf-8");
    }

    private static byte[] Load()
    {
        using var stream = typeof(ConsolePage).Assembly.GetManifestResourceStream("Conversations.Gateway.Admin.console.html")
            ?? throw new InvalidOperationException("The console page is not embedded in the gateway assembly.");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
