using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Conversations.Gateway.Tests.Support;
using Conversations.Storage;

namespace Conversations.Gateway.Tests.Admin;

/// <summary>An operator's retry (through the conversation's grain) and discard (in the store) of a parked action.</summary>
public sealed class AdminParkedActionTests
{
    private const string Token = "s3cret-admin-token";
    private static readonly ConversationKey Key = new("acme", "7:42");
    private const string Base = "/admin/conversations/acme/7:42/parked";

    private static Task<Harness> StartAsync() => Harness.StartAsync(s => s["Conversations:Admin:Token"] = Token);

    private static HttpRequestMessage Request(HttpMethod method, string path, string? token = Token)
    {
        var request = new HttpRequestMessage(method, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static ParkedAction Parked(ConversationKey key, long id) =>
        new(key, new OutboxMessage(id, "chatwoot.reply", Array.Empty<byte>(), OutboxStatus.Parked, 8, DateTimeOffset.UtcNow, "HTTP 404"));

    [Theory]
    [InlineData(null)]
    [InlineData("wrong")]
    public async Task Retry_and_discard_are_401_without_the_token_and_touch_nothing(string? token)
    {
        await using var harness = await StartAsync();
        harness.Store.Parked.Add(Parked(Key, 9));

        using var retry = await harness.Http.SendAsync(Request(HttpMethod.Post, $"{Base}/9/retry", token));
        using var discard = await harness.Http.SendAsync(Request(HttpMethod.Delete, $"{Base}/9", token));

        Assert.Equal(HttpStatusCode.Unauthorized, retry.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, discard.StatusCode);
        Assert.Empty(harness.Grains.Retries);
        Assert.Empty(harness.Store.Removals);
        Assert.Single(harness.Store.Parked);
    }

    [Fact]
    public async Task Retry_asks_the_conversations_grain_and_is_202_or_404_when_it_has_no_such_parked_action()
    {
        await using var harness = await StartAsync();
        harness.Grains.SetRetryable(Key, 9);

        using var retried = await harness.Http.SendAsync(Request(HttpMethod.Post, $"{Base}/9/retry"));
        using var again = await harness.Http.SendAsync(Request(HttpMethod.Post, $"{Base}/9/retry"));
        using var negative = await harness.Http.SendAsync(Request(HttpMethod.Post, $"{Base}/-3/retry"));

        Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, negative.StatusCode);
        Assert.Equal([(Key, 9L), (Key, 9L), (Key, -3L)], harness.Grains.Retries);
        Assert.Equal(["conversation/acme/7:42", "conversation/acme/7:42", "conversation/acme/7:42"], harness.Grains.RequestedKeys);
    }

    [Fact]
    public async Task The_consoles_percent_encoded_conversation_id_reaches_the_same_conversation()
    {
        await using var harness = await StartAsync();
        harness.Grains.SetRetryable(Key, 9);
        harness.Store.Parked.Add(Parked(Key, 10));

        // The page builds paths with encodeURIComponent: Chatwoot's "7:42" becomes "7%3A42".
        using var retried = await harness.Http.SendAsync(Request(HttpMethod.Post, "/admin/conversations/acme/7%3A42/parked/9/retry"));
        using var discarded = await harness.Http.SendAsync(Request(HttpMethod.Delete, "/admin/conversations/acme/7%3A42/parked/10"));

        Assert.Equal(HttpStatusCode.Accepted, retried.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, discarded.StatusCode);
        Assert.Equal([(Key, 9L)], harness.Grains.Retries);
        Assert.Equal([(Key, 10L)], harness.Store.Removals);
    }

    [Fact]
    public async Task Retry_of_an_unknown_tenant_or_a_non_numeric_id_is_404_without_asking_any_grain()
    {
        await using var harness = await StartAsync();

        using var tenant = await harness.Http.SendAsync(Request(HttpMethod.Post, "/admin/conversations/nobody/7:42/parked/9/retry"));
        using var id = await harness.Http.SendAsync(Request(HttpMethod.Post, $"{Base}/x/retry"));

        Assert.Equal(HttpStatusCode.NotFound, tenant.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, id.StatusCode);
        Assert.Empty(harness.Grains.RequestedKeys);
    }

    [Fact]
    public async Task Retry_is_503_while_no_silo_is_reached()
    {
        await using var harness = await StartAsync();
        harness.GrainAccess.Current = null;

        using var response = await harness.Http.SendAsync(Request(HttpMethod.Post, $"{Base}/9/retry"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("no silo reached yet", body.RootElement.GetProperty("error").GetString());
    }

    [Fact]
    public async Task Discard_removes_only_that_parked_action_and_is_404_when_it_is_not_parked()
    {
        await using var harness = await StartAsync();
        var other = new ConversationKey("acme", "7:43");
        harness.Store.Parked.Add(Parked(Key, 9));
        harness.Store.Parked.Add(Parked(Key, 10));
        harness.Store.Parked.Add(Parked(other, 9));

        using var discarded = await harness.Http.SendAsync(Request(HttpMethod.Delete, $"{Base}/9"));
        using var again = await harness.Http.SendAsync(Request(HttpMethod.Delete, $"{Base}/9"));
        using var tenant = await harness.Http.SendAsync(Request(HttpMethod.Delete, "/admin/conversations/nobody/7:42/parked/10"));

        Assert.Equal(HttpStatusCode.NoContent, discarded.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, tenant.StatusCode);
        Assert.Equal([(Key, 10L), (other, 9L)], harness.Store.Parked.Select(p => (p.Key, p.Message.Id)));
        Assert.Equal([(Key, 9L), (Key, 9L)], harness.Store.Removals);
        Assert.Empty(harness.Grains.RequestedKeys);
    }
}
