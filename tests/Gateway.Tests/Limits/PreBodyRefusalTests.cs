using System.Diagnostics;
using Conversations.Gateway.Tests.Support;

namespace Conversations.Gateway.Tests.Limits;

/// <summary>
/// Issue 13.1: what cannot be authentic is refused from its head, before a byte of its body is read. Each
/// request here announces a 1 MB body and sends none of it: the answer comes at once, saying the connection
/// closes (Kestrel discards what still arrives of the body for at most 5 s first).
/// </summary>
public sealed class PreBodyRefusalTests
{
    private const long AnnouncedBody = 1_000_000;

    public static TheoryData<string, string, string> Refusals() => new()
    {
        // path, header lines "Name: value|Name: value" (empty: none), what the case is
        { "/webhooks/chatwoot/acme", "", "signed Chatwoot tenant, no signature headers" },
        { "/webhooks/chatwoot/acme", "X-Chatwoot-Timestamp: {now}", "signed Chatwoot tenant, no signature" },
        { "/webhooks/chatwoot/acme", "X-Chatwoot-Signature: sha256=" + new string('a', 64), "signed Chatwoot tenant, no timestamp" },
        { "/webhooks/chatwoot/acme", "X-Chatwoot-Timestamp: {stale}|X-Chatwoot-Signature: sha256=" + new string('a', 64), "signed Chatwoot tenant, stale timestamp" },
        { "/webhooks/chatwoot/acme", "X-Chatwoot-Timestamp: {now}|X-Chatwoot-Signature: not-a-digest", "signed Chatwoot tenant, a signature that is no digest" },
        { "/webhooks/chatwoot/urly", "", "URL-token tenant, no token" },
        { "/webhooks/chatwoot/urly?token=guess", "", "URL-token tenant, wrong token" },
        { "/webhooks/engage/globex", "", "Engage POST without X-Dimelo-Secret" },
        { "/webhooks/engage/globex", "X-Dimelo-Secret: guess", "Engage POST with a wrong X-Dimelo-Secret" },
    };

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task A_request_that_cannot_be_authentic_gets_401_without_its_body_being_waited_for(string path, string headerLines, string why)
    {
        var (host, store) = await PlatformHost.StartAsync();
        await using var _ = host;
        await using var connection = await RawHttpConnection.OpenAsync(host.Address);
        var clock = Stopwatch.StartNew();

        await connection.SendHeadAsync(path, AnnouncedBody, Headers(headerLines));
        var status = await connection.ReadStatusAsync(TimeSpan.FromSeconds(4));

        Assert.True(status == 401, $"{why}: expected 401 at once, got {status?.ToString() ?? "nothing"} after {clock.Elapsed.TotalSeconds:F1} s");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"{why}: answered after {clock.Elapsed.TotalSeconds:F1} s");
        Assert.Contains("Connection: close", connection.Received, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await store.FindUnconsumedAsync(TimeSpan.Zero, 10, CancellationToken.None));
    }

    [Fact]
    public async Task An_authentic_head_still_gets_its_body_read()
    {
        var (host, store) = await PlatformHost.StartAsync();
        await using var _ = host;
        await using var connection = await RawHttpConnection.OpenAsync(host.Address);
        var body = """{"event":"message_created","id":5,"message_type":"incoming","content":"hi","account":{"id":7},"conversation":{"id":9,"status":"pending"},"inbox":{"id":1}}"""u8.ToArray();

        await connection.SendHeadAsync("/webhooks/chatwoot/urly?token=" + PlatformHost.UrlToken, body.Length);
        await Task.Delay(300);
        await connection.SendAsync(body, CancellationToken.None);

        Assert.Equal(200, await connection.ReadStatusAsync(TimeSpan.FromSeconds(10)));
        Assert.Single(await store.FindUnconsumedAsync(TimeSpan.Zero, 10, CancellationToken.None));
    }

    private static IEnumerable<KeyValuePair<string, string>> Headers(string lines)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        foreach (var line in lines.Split('|', StringSplitOptions.RemoveEmptyEntries))
        {
            var value = line[(line.IndexOf(':') + 2)..]
                .Replace("{now}", now.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal)
                .Replace("{stale}", (now - 3600).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
            yield return new(line[..line.IndexOf(':')], value);
        }
    }
}
