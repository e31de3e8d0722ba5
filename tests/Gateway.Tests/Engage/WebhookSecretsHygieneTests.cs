using System.Net;
using System.Text;
using Conversations.Gateway.Tests.Support;
using Conversations.Gateway.Webhooks.Chatwoot;
using Conversations.Gateway.Webhooks.Engage;
using Conversations.Gateway.Webhooks;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Conversations.Gateway.Tests.Engage;

/// <summary>Issue 13 point 6: secrets stay out of logs and answers, the handshake answer is not sniffed, token compares do not leak lengths.</summary>
public sealed class WebhookSecretsHygieneTests
{
    /// <summary>The gateway with the real platform handlers over a Memory store.</summary>
    private static async Task<GatewayHost> StartAsync(Dictionary<string, string?> settings, Action<IServiceCollection> more) =>
        (await PlatformHost.StartAsync(settings, more)).Host;

    [Fact]
    public async Task Url_token_and_verify_token_do_not_reach_request_log_lines_at_information()
    {
        var capture = new CapturingLoggerProvider();
        var settings = GatewayHost.DefaultSettings();
        settings["Logging:LogLevel:Default"] = "Information";
        settings["Logging:LogLevel:Microsoft.AspNetCore"] = "Information";
        await using var host = await StartAsync(settings, s => s.AddSingleton<ILoggerProvider>(capture));

        using var chatwoot = await host.Http.PostAsync("/webhooks/chatwoot/acme?token=url-token", new StringContent("{}", Encoding.UTF8, "application/json"));
        using var handshake = await host.Http.GetAsync("/webhooks/engage/globex?hub.mode=subscribe&hub.verify_token=verify-token&hub.challenge=c1");
        Assert.Equal(HttpStatusCode.OK, handshake.StatusCode);
        await Task.Delay(200);

        Assert.NotEmpty(capture.Lines);
        Assert.DoesNotContain(capture.Lines, l => l.Contains("url-token", StringComparison.Ordinal));
        Assert.DoesNotContain(capture.Lines, l => l.Contains("verify-token", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_handshake_answer_is_not_sniffed()
    {
        await using var host = await StartAsync(GatewayHost.DefaultSettings(), _ => { });
        using var handshake = await host.Http.GetAsync("/webhooks/engage/globex?hub.mode=subscribe&hub.verify_token=verify-token&hub.challenge=%3Cscript%3E");
        Assert.Equal(HttpStatusCode.OK, handshake.StatusCode);
        Assert.Equal("nosniff", Assert.Single(handshake.Headers.GetValues("X-Content-Type-Options")));
    }

    [Fact]
    public async Task The_engage_400_does_not_echo_the_json_parser()
    {
        var headers = new HeaderDictionary { [EngageWebhookHandler.SecretHeader] = EngageWebhookTestKit.Secret };
        var verdict = await new EngageWebhookHandler(NullLogger<EngageWebhookHandler>.Instance).HandleAsync(
            new WebhookRequest("POST", QueryCollection.Empty, headers, "{\"events\": [secret-looking-garbage"u8.ToArray(), DateTimeOffset.UtcNow), EngageWebhookTestKit.Tenant, CancellationToken.None);
        Assert.Equal(400, verdict.StatusCode);
        Assert.Equal("Malformed JSON.", verdict.Error);
    }

    [Theory]
    [InlineData("url-token", true)]
    [InlineData("url-tokem", false)]
    [InlineData("url", false)]
    [InlineData("url-token-and-more", false)]
    [InlineData("ürl-token", false)]
    public void Url_tokens_of_any_length_compare_right(string given, bool accepted)
    {
        var tenant = new TenantOptions { Id = "acme", Platform = PlatformKind.Chatwoot, UrlToken = "url-token", BaseUrl = "http://127.0.0.1:1" };
        var query = new QueryCollection(new Dictionary<string, Microsoft.Extensions.Primitives.StringValues> { ["token"] = given });
        var problem = ChatwootSignature.Verify(new WebhookRequest("POST", query, new HeaderDictionary(), "{}"u8.ToArray(), DateTimeOffset.UtcNow), tenant);
        Assert.Equal(accepted, problem is null);

    }
}
