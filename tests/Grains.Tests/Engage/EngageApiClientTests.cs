using System.Net;
using Conversations.Grains.Platforms.Engage.Api;
using Conversations.TestSupport.Engage;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Grains.Tests.Engage;

public sealed class EngageApiClientTests : IAsyncLifetime
{
    private const string Thread = "65f0a1b2c3d4e5f601234567";
    private FakeEngageApi _engage = null!;
    private ServiceProvider _services = null!;
    private EngageApiClient _api = null!;

    public async Task InitializeAsync()
    {
        _engage = await FakeEngageApi.StartAsync();
        _engage.AddThread(Thread, EngagePayloads.BotCategory);
        (_services, _api) = EngageTestHost.Build(_engage);
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _engage.DisposeAsync();
    }

    [Fact]
    public async Task Requests_carry_the_bearer_token_under_1_0()
    {
        var thread = await _api.GetThreadAsync(Thread, CancellationToken.None);
        Assert.Equal(Thread, thread.Id);
        Assert.Equal([EngagePayloads.BotCategory], thread.ThreadCategoryIds);
        var request = Assert.Single(_engage.Requests);
        Assert.Equal("Bearer engage-token", request.Authorization);
        Assert.Equal($"/1.0/content_threads/{Thread}", request.Path);
    }

    [Fact]
    public void The_base_url_gets_1_0_once()
    {
        Assert.Equal("https://acme.api.engagement.dimelo.com/1.0/", EngageApiClient.BaseAddress("https://acme.api.engagement.dimelo.com").ToString());
        Assert.Equal("https://acme.api.engagement.dimelo.com/1.0/", EngageApiClient.BaseAddress("https://acme.api.engagement.dimelo.com/1.0/").ToString());
    }

    [Fact]
    public async Task Arrays_are_sent_as_repeated_bracket_keys_in_the_query_and_in_the_form()
    {
        await _api.GetAgentStatusAsync(["c1", "c2"], ["s1"], CancellationToken.None);
        Assert.Equal("?category_ids[]=c1&category_ids[]=c2&source_ids[]=s1", _engage.Requests[^1].RawQuery);

        await _api.UpdateThreadCategoriesAsync(Thread, [EngagePayloads.OtherCategory, EngagePayloads.AgentCategory], CancellationToken.None);
        var put = _engage.Requests[^1];
        Assert.Equal("PUT", put.Method);
        Assert.Equal([EngagePayloads.OtherCategory, EngagePayloads.AgentCategory], put.Values("thread_category_ids[]"));
        Assert.Equal([EngagePayloads.OtherCategory, EngagePayloads.AgentCategory], _engage.ThreadCategories(Thread));
    }

    [Fact]
    public async Task Thread_history_is_a_thread_query_and_the_list_envelope_is_read()
    {
        var first = _engage.AddCustomerContent(Thread, "hello");
        var second = _engage.AddCustomerContent(Thread, "anyone?");
        var list = await _api.GetThreadContentsAsync(Thread, 500, CancellationToken.None);
        Assert.Equal(2, list.Count);
        Assert.Equal(150, list.Limit);
        Assert.Equal([second, first], list.Records.Select(c => c.Id));
        Assert.Equal($"thread:\"{Thread}\"", _engage.Requests[^1].Value("q"));
    }

    [Fact]
    public async Task Lists_and_objects_are_parsed_leniently()
    {
        _engage.Override("GET", "/1.0/contents", 200,
            """{"count":"2","limit":30,"offset":0,"records":[{"id":123,"thread_id":456,"first_in_thread":1,"approval_required":"false","body":null,"brand_new":{"x":[1]}}, 7, {"id":"abc","category_ids":null}]}""");
        var list = await _api.GetThreadContentsAsync(Thread, 10, CancellationToken.None);
        Assert.Equal(2, list.Count);
        Assert.Equal("123", list.Records[0].Id);
        Assert.Equal("456", list.Records[0].ThreadId);
        Assert.True(list.Records[0].FirstInThread);
        Assert.False(list.Records[0].ApprovalRequired);
        Assert.Null(list.Records[1].CategoryIds);

        _engage.Override("GET", "/1.0/status", 200, """[{"agent_id":9,"channels":[{"id":"c","name":"Chat","status":"available","busyness":"ok"}]}]""");
        var status = Assert.Single(await _api.GetAgentStatusAsync([], [], CancellationToken.None));
        Assert.Equal("9", status.AgentId);
        Assert.True(status.Channels![0].CanTakeWork);
    }

    [Fact]
    public async Task Errors_carry_engages_identifier_and_whether_a_retry_helps()
    {
        var content = _engage.AddCustomerContent(Thread, "hi");
        _engage.CloseThread(Thread);
        var closed = await Assert.ThrowsAsync<EngageApiException>(() => _api.CreateReplyAsync(content, "answer", CancellationToken.None));
        Assert.Equal(HttpStatusCode.Forbidden, closed.Status);
        Assert.Equal(EngageApiException.ClosedThread, closed.Error);
        Assert.False(closed.Transient);

        _engage.Override("POST", "/1.0/contents", 502, "<html>Bad gateway</html>");
        var html = await Assert.ThrowsAsync<EngageApiException>(() => _api.CreateReplyAsync(content, "answer", CancellationToken.None));
        Assert.Equal(HttpStatusCode.BadGateway, html.Status);
        Assert.Null(html.Error);
        Assert.True(html.Transient);

        _engage.FailNext("POST", "/1.0/contents", 429, "rate_limit_exceeded");
        var limited = await Assert.ThrowsAsync<EngageApiException>(() => _api.CreateReplyAsync(content, "answer", CancellationToken.None));
        Assert.True(limited.Transient);
        Assert.Equal("rate_limit_exceeded", limited.Error);
    }

    [Fact]
    public async Task Reads_are_retried_on_5xx_and_429_but_writes_are_not()
    {
        _engage.FailNext("GET", "/1.0/content_threads", 503, times: 1);
        _engage.FailNext("GET", "/1.0/content_threads", 429, times: 1);
        var thread = await _api.GetThreadAsync(Thread, CancellationToken.None);
        Assert.Equal(Thread, thread.Id);
        Assert.Equal(3, _engage.Requests.Count(r => r.Path.StartsWith("/1.0/content_threads", StringComparison.Ordinal)));

        var content = _engage.AddCustomerContent(Thread, "hi");
        _engage.FailNext("POST", "/1.0/contents", 503);
        await Assert.ThrowsAsync<EngageApiException>(() => _api.CreateReplyAsync(content, "x", CancellationToken.None));
        Assert.Equal(1, _engage.Requests.Count(r => r.Is("POST", "/1.0/contents")));
    }

    [Fact]
    public async Task A_reply_is_posted_in_reply_to_the_content_with_auto_submitted()
    {
        var content = _engage.AddCustomerContent(Thread, "hi");
        var reply = await _api.CreateReplyAsync(content, "Hello & welcome", CancellationToken.None);
        Assert.Equal(content, reply.InReplyToId);
        var post = _engage.Requests[^1];
        Assert.Equal(content, post.Value("in_reply_to_id"));
        Assert.Equal("Hello & welcome", post.Value("body"));
        Assert.Equal("true", post.Value("auto_submitted"));
    }
}
