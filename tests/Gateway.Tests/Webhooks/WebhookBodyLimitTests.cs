using System.Net;
using System.Text;
using Conversations.Gateway.Tests.Support;

namespace Conversations.Gateway.Tests.Webhooks;

public sealed class WebhookBodyLimitTests
{
    private const int Limit = 1024;

    private static Task<Harness> StartWithLimitAsync() =>
        Harness.StartAsync(settings => settings["Conversations:Gateway:MaxBodyBytes"] = Limit.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>A valid events document padded to exactly <paramref name="size"/> bytes.</summary>
    private static byte[] BodyOfSize(int size)
    {
        var prefix = "{\"events\":[{\"conversation\":\"1:2\",\"id\":\"m1\",\"text\":\"";
        const string suffix = "\"}]}";
        return Encoding.UTF8.GetBytes(prefix + new string('x', size - prefix.Length - suffix.Length) + suffix);
    }

    [Fact]
    public async Task Content_length_over_the_limit_is_413_before_the_handler_runs()
    {
        await using var harness = await StartWithLimitAsync();
        using var content = new ByteArrayContent(BodyOfSize(Limit + 1));
        content.Headers.ContentType = new("application/json");

        using var response = await harness.Http.PostAsync("/webhooks/chatwoot/acme", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, harness.Handler.Calls);
        Assert.Equal(0, harness.Store.InboxCount());
    }

    [Fact]
    public async Task Chunked_body_over_the_limit_is_413_while_reading()
    {
        await using var harness = await StartWithLimitAsync();
        using var content = new ChunkedContent(BodyOfSize(Limit * 3), chunkSize: 256);

        using var response = await harness.Http.PostAsync("/webhooks/chatwoot/acme", content);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, harness.Handler.Calls);
        Assert.Equal(0, harness.Store.InboxCount());
    }

    [Fact]
    public async Task Bodies_at_the_limit_are_read_whole_with_or_without_content_length()
    {
        await using var harness = await StartWithLimitAsync();
        var body = BodyOfSize(Limit);

        using var sized = new ByteArrayContent(body);
        using var first = await harness.Http.PostAsync("/webhooks/chatwoot/acme", sized);
        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(Limit, harness.Handler.LastBodyLength);

        using var chunked = new ChunkedContent(body, chunkSize: 100);
        using var second = await harness.Http.PostAsync("/webhooks/chatwoot/acme", chunked);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(Limit, harness.Handler.LastBodyLength);
    }
}
