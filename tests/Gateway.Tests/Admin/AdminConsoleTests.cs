using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.RegularExpressions;
using Conversations.Gateway.Tests.Support;

namespace Conversations.Gateway.Tests.Admin;

/// <summary>The operator console page at /admin: behind the token, a browser logs in with Basic, nothing loaded from elsewhere.</summary>
public sealed class AdminConsoleTests
{
    private const string Token = "s3cret-admin-token";

    private static Task<Harness> StartAsync() => Harness.StartAsync(s => s["Conversations:Admin:Token"] = Token);

    private static HttpRequestMessage Get(string path, AuthenticationHeaderValue? authorization)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Authorization = authorization;
        return request;
    }

    private static AuthenticationHeaderValue Basic(string password) => new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("ops:" + password)));

    [Theory]
    [InlineData("/admin")]
    [InlineData("/admin/")]
    public async Task Without_the_token_the_page_is_refused_with_the_basic_challenge_a_browser_answers(string path)
    {
        await using var harness = await StartAsync();

        using var anonymous = await harness.Http.SendAsync(Get(path, null));
        using var wrong = await harness.Http.SendAsync(Get(path, Basic("not-the-token")));

        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Equal("Basic", anonymous.Headers.WwwAuthenticate.Single().Scheme);
        Assert.DoesNotContain("<html", await anonymous.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_api_under_admin_keeps_the_bearer_challenge_and_also_accepts_the_browsers_basic_login()
    {
        await using var harness = await StartAsync();

        using var refused = await harness.Http.SendAsync(Get("/admin/tenants", null));
        using var basic = await harness.Http.SendAsync(Get("/admin/tenants", Basic(Token)));

        Assert.Equal("Bearer", refused.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal(HttpStatusCode.OK, basic.StatusCode);
    }

    [Fact]
    public async Task With_the_token_the_page_is_one_self_contained_html_document_over_the_admin_api()
    {
        await using var harness = await StartAsync();

        using var basic = await harness.Http.SendAsync(Get("/admin", Basic(Token)));
        using var bearer = await harness.Http.SendAsync(Get("/admin/", new AuthenticationHeaderValue("Bearer", Token)));

        Assert.Equal(HttpStatusCode.OK, basic.StatusCode);
        Assert.Equal(HttpStatusCode.OK, bearer.StatusCode);
        Assert.Equal("text/html", basic.Content.Headers.ContentType!.MediaType);
        Assert.Equal("no-store", basic.Headers.CacheControl!.ToString());
        Assert.Contains("default-src 'self'", basic.Headers.GetValues("Content-Security-Policy").Single());
        var html = await basic.Content.ReadAsStringAsync();
        Assert.Equal(html, await bearer.Content.ReadAsStringAsync());
        Assert.StartsWith("<!doctype html>", html);
        // Nothing from elsewhere: no external script, style, image or font.
        Assert.DoesNotMatch(new Regex(@"(src|href)\s*=\s*[""']?(https?:)?//", RegexOptions.IgnoreCase), html);
        Assert.DoesNotContain("@import", html);
        foreach (var used in new[] { "/admin/tenants", "/admin/conversations?", "/parked/", "/retry", "\"DELETE\"", "href=\"/dashboard/\"", "transcript", "/admin/stats", "createElementNS(SVG_NS" })
            Assert.Contains(used, html);
    }

    [Fact]
    public async Task Without_a_configured_token_there_is_no_page()
    {
        await using var harness = await Harness.StartAsync();

        using var response = await harness.Http.SendAsync(Get("/admin", Basic("anything")));

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
