using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Conversations.Gateway.Tests.Support;
using Conversations.Storage;

namespace Conversations.Gateway.Tests.Admin;

/// <summary>The admin lists: tenants (never secrets) and the conversation directory with filters and paging.</summary>
public sealed class AdminDirectoryTests
{
    private const string Token = "s3cret-admin-token";
    private static readonly DateTimeOffset T0 = new(2026, 11, 30, 9, 0, 0, TimeSpan.Zero);

    private static Task<Harness> StartAsync() => Harness.StartAsync(s =>
    {
        s["Conversations:Admin:Token"] = Token;
        s["Conversations:Tenants:0:ApiToken"] = "chatwoot-api-secret";
        s["Conversations:Tenants:0:WebhookSecret"] = "chatwoot-hmac-secret";
        s["Conversations:Tenants:1:ApiToken"] = "engage-api-secret";
        s["Conversations:Tenants:1:Ai:Kind"] = "Webhook";
        s["Conversations:Tenants:1:Ai:Endpoint"] = "https://ai.example.com/answer";
        s["Conversations:Tenants:1:Ai:ApiKey"] = "ai-key-secret";
    });

    private static HttpRequestMessage Get(string path, string? token = Token)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return request;
    }

    private static ConversationDirectoryEntry Entry(string tenant, string id, string mode, string? reason, int minutes) =>
        new(tenant, id, mode, reason, T0.AddMinutes(minutes), T0.AddMinutes(minutes));

    [Theory]
    [InlineData("/admin/tenants")]
    [InlineData("/admin/conversations")]
    public async Task Lists_are_401_without_the_token(string path)
    {
        await using var harness = await StartAsync();

        using var none = await harness.Http.SendAsync(Get(path, null));
        using var wrong = await harness.Http.SendAsync(Get(path, "wrong"));

        Assert.Equal(HttpStatusCode.Unauthorized, none.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        Assert.Empty(harness.Store.DirectoryQueries);
    }

    [Fact]
    public async Task Tenants_show_platform_ai_kind_and_conversation_count_and_no_secret()
    {
        await using var harness = await StartAsync();
        harness.Store.Directory.Add(Entry("acme", "1:1", "bot", null, 1));
        harness.Store.Directory.Add(Entry("acme", "1:2", "human", "customer_asked", 2));
        harness.Store.Directory.Add(Entry("globex", "t-1", "bot", null, 3));

        using var response = await harness.Http.SendAsync(Get("/admin/tenants"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        using var body = JsonDocument.Parse(text);
        Assert.Equal([("acme", "Chatwoot", "Rules", 2), ("globex", "Engage", "Webhook", 1)],
            body.RootElement.EnumerateArray().Select(t => (t.GetProperty("id").GetString(), t.GetProperty("platform").GetString(),
                t.GetProperty("aiKind").GetString(), t.GetProperty("conversations").GetInt32())));
        foreach (var secret in new[] { "secret", "url-token", "verify-token", "ai.example.com" }) Assert.DoesNotContain(secret, text);
    }

    [Fact]
    public async Task Conversations_are_listed_newest_first_with_filters_and_paging()
    {
        await using var harness = await StartAsync();
        harness.Store.Directory.Add(Entry("acme", "1:1", "bot", null, 1));
        harness.Store.Directory.Add(Entry("acme", "1:2", "human", "customer_asked", 2));
        harness.Store.Directory.Add(Entry("acme", "1:3", "human", "max_bot_turns", 3));
        harness.Store.Directory.Add(Entry("globex", "t-1", "human", "customer_asked", 4));

        using var all = await harness.Http.SendAsync(Get("/admin/conversations"));
        using var filtered = await harness.Http.SendAsync(Get("/admin/conversations?tenant=acme&mode=human&reason=customer_asked&since=2026-11-30T09:01:30Z"));
        using var paged = await harness.Http.SendAsync(Get("/admin/conversations?page=2&pageSize=3"));

        Assert.Equal(HttpStatusCode.OK, all.StatusCode);
        using var allBody = JsonDocument.Parse(await all.Content.ReadAsStringAsync());
        Assert.Equal(4, allBody.RootElement.GetProperty("total").GetInt32());
        Assert.Equal(1, allBody.RootElement.GetProperty("page").GetInt32());
        Assert.Equal(50, allBody.RootElement.GetProperty("pageSize").GetInt32());
        Assert.Equal(["t-1", "1:3", "1:2", "1:1"], allBody.RootElement.GetProperty("conversations").EnumerateArray().Select(c => c.GetProperty("conversationId").GetString()));
        var top = allBody.RootElement.GetProperty("conversations")[0];
        Assert.Equal(("globex", "human", "customer_asked", T0.AddMinutes(4)),
            (top.GetProperty("tenant").GetString(), top.GetProperty("mode").GetString(), top.GetProperty("handoffReason").GetString(), top.GetProperty("lastActivityAt").GetDateTimeOffset()));

        using var filteredBody = JsonDocument.Parse(await filtered.Content.ReadAsStringAsync());
        Assert.Equal(["1:2"], filteredBody.RootElement.GetProperty("conversations").EnumerateArray().Select(c => c.GetProperty("conversationId").GetString()));
        Assert.Equal(new ConversationDirectoryFilter("acme", "human", "customer_asked", T0.AddSeconds(90), 1, 50), harness.Store.DirectoryQueries[1]);

        using var pagedBody = JsonDocument.Parse(await paged.Content.ReadAsStringAsync());
        Assert.Equal(["1:1"], pagedBody.RootElement.GetProperty("conversations").EnumerateArray().Select(c => c.GetProperty("conversationId").GetString()));
        Assert.Equal(4, pagedBody.RootElement.GetProperty("total").GetInt32());
        Assert.Equal((2, 3), (pagedBody.RootElement.GetProperty("page").GetInt32(), pagedBody.RootElement.GetProperty("pageSize").GetInt32()));
    }

    [Theory]
    [InlineData("mode=Bot", "mode")]
    [InlineData("mode=pending", "mode")]
    [InlineData("since=yesterday", "since")]
    [InlineData("page=0", "page")]
    [InlineData("page=-1", "page")]
    [InlineData("page=x", "page")]
    [InlineData("pageSize=0", "pageSize")]
    [InlineData("pageSize=201", "pageSize")]
    [InlineData("pageSize=1.5", "pageSize")]
    public async Task Conversations_list_is_400_on_a_bad_parameter_and_names_it(string query, string parameter)
    {
        await using var harness = await StartAsync();

        using var response = await harness.Http.SendAsync(Get("/admin/conversations?" + query));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.StartsWith(parameter + " must", body.RootElement.GetProperty("error").GetString());
        Assert.Empty(harness.Store.DirectoryQueries);
    }
}
