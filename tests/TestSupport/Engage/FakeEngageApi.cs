using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Conversations.TestSupport.Engage;

/// <summary>
/// A stateful Engage Digital REST API (<c>/1.0</c>) on 127.0.0.1, port 0: threads with their own
/// categories, contents, interventions with Engage's close/cancel preconditions, users, identities,
/// agent status. It checks the Bearer token, reads parameters from the query string or a form body
/// (<c>x[]=</c> arrays), records every request, can inject failures, and can enforce a
/// requests-per-minute limit with 429 like Engage does.
/// </summary>
public sealed class FakeEngageApi : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Lock _gate = new();
    private readonly ConcurrentQueue<FakeEngageRequest> _requests = new();
    private readonly List<(string Method, string PathPrefix, int Status, string Body, int Remaining)> _failures = [];
    private readonly Dictionary<string, JsonObject> _threads = [];
    private readonly List<JsonObject> _contents = [];
    private readonly Dictionary<string, JsonObject> _interventions = [];
    private readonly Dictionary<string, JsonObject> _identities = [];
    private readonly Dictionary<string, JsonObject> _users = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly Queue<TimeSpan> _window = new();
    private readonly ConcurrentDictionary<int, int> _answered = new();
    private int _sequence;
    private int _rateLimited;

    private FakeEngageApi(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;
    public string Token { get; init; } = "engage-token";
    public string BotUserId { get; init; } = EngagePayloads.BotUser;
    public string BotIdentityId { get; init; } = EngagePayloads.BotIdentity;
    /// <summary>Answer 429 once more than this many requests arrived in the last <see cref="LimitWindow"/> (0 = no limit).</summary>
    public int RateLimit { get; set; }
    public TimeSpan LimitWindow { get; set; } = TimeSpan.FromMinutes(1);
    /// <summary>POST /contents refuses a reply whose target is not under an open intervention (422), as some sources do.</summary>
    public bool RequireOpenIntervention { get; set; }
    /// <summary>PUT /content_threads/{id}/close works (as on Engage Messaging or email sources); false: 403, as on sources that cannot be closed.</summary>
    public bool ThreadsClosable { get; set; } = true;
    /// <summary>Agents returned by GET /status.</summary>
    public List<JsonObject> AgentStatuses { get; } = [];
    /// <summary>Artificial latency per request.</summary>
    public TimeSpan Latency { get; set; }

    public IReadOnlyList<FakeEngageRequest> Requests => [.. _requests];

    /// <summary>Forgets recorded requests (state stays).</summary>
    public void ClearRequests() => _requests.Clear();

    /// <summary>How many requests were answered 429 by <see cref="RateLimit"/>.</summary>
    public int RateLimited => Volatile.Read(ref _rateLimited);

    /// <summary>How many requests were answered with this status (by the rate limit, an injected failure or the API itself).</summary>
    public int AnsweredWith(int status) => _answered.GetValueOrDefault(status);

    public static async Task<FakeEngageApi> StartAsync(string token = "engage-token")
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        var fake = new FakeEngageApi(app) { Token = token };
        app.Run(fake.HandleAsync);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        fake.BaseAddress = new Uri(address.TrimEnd('/') + "/");
        fake.AddUser(fake.BotUserId, [fake.BotIdentityId], "Bot");
        return fake;
    }

    // ---- state set-up -------------------------------------------------------------------------

    public void AddUser(string userId, string[] identityIds, string firstname)
    {
        lock (_gate) _users[userId] = new JsonObject { ["id"] = userId, ["firstname"] = firstname, ["identity_ids"] = Array(identityIds) };
    }

    public void AddIdentity(string identityId, string displayName, string[]? userIds = null)
    {
        lock (_gate) _identities[identityId] = new JsonObject { ["id"] = identityId, ["display_name"] = displayName, ["user_ids"] = Array(userIds ?? []) };
    }

    public void AddThread(string threadId, params string[] threadCategoryIds)
    {
        lock (_gate) _threads[threadId] = new JsonObject
        {
            ["id"] = threadId,
            ["source_id"] = EngagePayloads.SourceId,
            ["title"] = "thread " + threadId,
            ["closed"] = false,
            ["thread_category_ids"] = Array(threadCategoryIds),
            ["category_ids"] = Array([.. threadCategoryIds, EngagePayloads.OtherCategory]),
        };
    }

    public void CloseThread(string threadId)
    {
        lock (_gate) _threads[threadId]["closed"] = true;
    }

    /// <summary>A customer content stored in the thread (what the webhook then announces). Returns its id.</summary>
    public string AddCustomerContent(string threadId, string body, string authorId = "65f0a1b2c3d4e5f6012345a1", string? contentId = null, DateTimeOffset? createdAt = null, bool isPrivate = true)
    {
        contentId ??= EngagePayloads.NewId("65c0");
        lock (_gate)
        {
            if (!_threads.ContainsKey(threadId)) throw new InvalidOperationException("unknown thread " + threadId);
            _contents.Add(new JsonObject
            {
                ["id"] = contentId,
                ["thread_id"] = threadId,
                ["source_id"] = EngagePayloads.SourceId,
                ["author_id"] = authorId,
                ["creator_id"] = null,
                ["created_from"] = "synchronizer",
                ["status"] = "new",
                ["body"] = body,
                ["body_input_format"] = "text",
                ["private_message"] = isPrivate,
                // A new content joins the thread's open intervention, as in Engage.
                ["intervention_id"] = _interventions.Values.FirstOrDefault(i => (string?)i["thread_id"] == threadId && !(bool)i["closed"]!)?["id"]?.GetValue<string>(),
                ["first_in_thread"] = !_contents.Any(c => (string?)c["thread_id"] == threadId),
                ["category_ids"] = Array(ThreadCategories(threadId)),
                ["created_at"] = (createdAt ?? DateTimeOffset.UtcNow).ToString("O"),
                ["seq"] = ++_sequence,
            });
        }
        return contentId;
    }

    /// <summary>An open intervention a user (an agent) holds on the thread, opened in Engage without any webhook. Returns its id.</summary>
    public string AddIntervention(string threadId, string userId)
    {
        var id = EngagePayloads.NewId("65d0");
        lock (_gate)
            _interventions[id] = new JsonObject
            {
                ["id"] = id,
                ["thread_id"] = threadId,
                ["content_id"] = _contents.LastOrDefault(c => (string?)c["thread_id"] == threadId)?["id"]?.GetValue<string>(),
                ["user_id"] = userId,
                ["closed"] = false,
                ["status"] = "Ouverte",
                ["user_replies_count"] = 0,
            };
        return id;
    }

    /// <summary>Closes an intervention as an agent would in Engage's UI (no precondition, no webhook).</summary>
    public void CloseInterventionSilently(string interventionId)
    {
        lock (_gate) _interventions[interventionId]["closed"] = true;
    }

    /// <summary>Engage could not push this content to the channel (what <c>content.exported</c> then reports).</summary>
    public void FailExport(string contentId, string? error)
    {
        lock (_gate)
        {
            var content = _contents.First(c => (string?)c["id"] == contentId);
            content["synchronization_status"] = "unsuccessful";
            content["synchronization_error"] = error;
        }
    }

    /// <summary>Makes the next <paramref name="times"/> requests matching method and path prefix fail with <paramref name="status"/>.</summary>
    public void FailNext(string method, string pathPrefix, int status, string? error = null, int times = 1) =>
        Override(method, pathPrefix, status, new JsonObject { ["error"] = error ?? "failure", ["message"] = "injected", ["status"] = status }.ToJsonString(), times);

    /// <summary>Answers the next <paramref name="times"/> matching requests with exactly this status and raw body.</summary>
    public void Override(string method, string pathPrefix, int status, string rawBody, int times = 1)
    {
        lock (_gate) _failures.Add((method, pathPrefix, status, rawBody, times));
    }

    // ---- state read-back ----------------------------------------------------------------------

    public IReadOnlyList<string> ThreadCategories(string threadId)
    {
        lock (_gate) return [.. _threads[threadId]["thread_category_ids"]!.AsArray().Select(n => (string)n!)];
    }

    /// <summary>Contents the token's user (the bot) posted, oldest first.</summary>
    public IReadOnlyList<FakeContent> BotReplies(string? threadId = null)
    {
        lock (_gate)
            return [.. _contents.Where(c => (string?)c["creator_id"] == BotUserId && (threadId is null || (string?)c["thread_id"] == threadId))
                .OrderBy(c => (int)c["seq"]!)
                .Select(c => new FakeContent((string)c["id"]!, (string)c["thread_id"]!, (string?)c["body"] ?? "", (string?)c["in_reply_to_id"], (string?)c["intervention_id"], (bool?)c["private_message"] == true))];
    }

    public bool IsThreadClosed(string threadId)
    {
        lock (_gate) return (bool)_threads[threadId]["closed"]!;
    }

    public IReadOnlyList<FakeIntervention> Interventions(string threadId)
    {
        lock (_gate)
            return [.. _interventions.Values.Where(i => (string?)i["thread_id"] == threadId)
                .Select(i => new FakeIntervention((string)i["id"]!, (string?)i["content_id"], (string?)i["user_id"], (bool)i["closed"]!, (bool?)i["cancelled"] == true, (int)i["user_replies_count"]!,
                    [.. (i["comments"] as JsonArray ?? []).Select(c => (string)c!)]))];
    }

    /// <summary>The largest number of requests that arrived within any window of <paramref name="window"/>.</summary>
    public int MaxRequestsIn(TimeSpan window)
    {
        var times = Requests.Select(r => r.At).OrderBy(t => t).ToList();
        int best = 0, start = 0;
        for (var end = 0; end < times.Count; end++)
        {
            while (times[end] - times[start] >= window) start++;
            best = Math.Max(best, end - start + 1);
        }
        return best;
    }

    public async Task<IReadOnlyList<FakeEngageRequest>> WaitForAsync(Func<FakeEngageRequest, bool> match, int count = 1, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        var limit = timeout ?? TimeSpan.FromSeconds(20);
        while (true)
        {
            var found = Requests.Where(match).ToList();
            if (found.Count >= count) return found;
            if (deadline.Elapsed > limit)
                throw new TimeoutException($"Expected {count} matching Engage requests, saw {found.Count}. All: {string.Join(", ", Requests.Select(r => r.ToString()))}");
            await Task.Delay(20);
        }
    }

    public async Task WaitUntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = Stopwatch.StartNew();
        while (!condition())
        {
            if (deadline.Elapsed > (timeout ?? TimeSpan.FromSeconds(20)))
                throw new TimeoutException($"Timed out waiting for {what}. Engage requests: {string.Join(", ", Requests.Select(r => r.ToString()))}");
            await Task.Delay(20);
        }
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();

    // ---- request handling ---------------------------------------------------------------------

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        var form = request.HasFormContentType ? await request.ReadFormAsync() : null;
        var parameters = new Dictionary<string, StringValues>(StringComparer.Ordinal);
        foreach (var (k, v) in request.Query) parameters[k] = v;
        if (form is not null) foreach (var (k, v) in form) parameters[k] = v;
        var recorded = new FakeEngageRequest(request.Method, request.Path.Value ?? "", request.QueryString.Value ?? "", parameters,
            request.Headers.Authorization.ToString(), _clock.Elapsed);
        _requests.Enqueue(recorded);
        if (Latency > TimeSpan.Zero) await Task.Delay(Latency);

        var (status, body) = Answer(recorded);
        _answered.AddOrUpdate(status, 1, (_, n) => n + 1);
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json; charset=utf-8";
        await context.Response.WriteAsync(body);
    }

    private (int Status, string Body) Answer(FakeEngageRequest r)
    {
        if (r.Authorization != "Bearer " + Token) return Error(401, "invalid_access_token");
        lock (_gate)
        {
            if (RateLimit > 0)
            {
                while (_window.Count > 0 && r.At - _window.Peek() >= LimitWindow) _window.Dequeue();
                if (_window.Count >= RateLimit)
                {
                    _rateLimited++;
                    return Error(429, "rate_limit_exceeded");
                }
                _window.Enqueue(r.At);
            }
            for (var i = 0; i < _failures.Count; i++)
            {
                var f = _failures[i];
                if (f.Method != r.Method || !r.Path.StartsWith(f.PathPrefix, StringComparison.Ordinal)) continue;
                if (f.Remaining <= 1) _failures.RemoveAt(i); else _failures[i] = f with { Remaining = f.Remaining - 1 };
                return (f.Status, f.Body);
            }
            return Route(r);
        }
    }

    private (int, string) Route(FakeEngageRequest r)
    {
        var segments = r.Path.Trim('/').Split('/');
        if (segments.Length < 2 || segments[0] != "1.0") return Error(404, "not_found");
        return (r.Method, segments[1..]) switch
        {
            ("GET", ["users", var id]) => Found(_users.GetValueOrDefault(id)),
            ("GET", ["identities", var id]) => Found(_identities.GetValueOrDefault(id)),
            ("GET", ["content_threads", var id]) => Found(_threads.GetValueOrDefault(id)),
            ("PUT", ["content_threads", var id, "update_categories"]) => UpdateCategories(id, r),
            ("PUT", ["content_threads", var id, "close"]) => CloseThreadRequest(id),
            ("GET", ["contents"]) => ListContents(r),
            ("GET", ["contents", var id]) => Found(_contents.FirstOrDefault(c => (string?)c["id"] == id)),
            ("POST", ["contents"]) => CreateContent(r),
            ("POST", ["interventions"]) => CreateIntervention(r),
            ("GET", ["interventions"]) => ListInterventions(r),
            ("GET", ["interventions", var id]) => Found(_interventions.GetValueOrDefault(id)),
            ("POST", ["intervention_comments"]) => CreateComment(r),
            ("PUT", ["interventions", var id, "close"]) => CloseIntervention(id),
            ("DELETE", ["interventions", var id, "cancel"]) => CancelIntervention(id),
            ("GET", ["status"]) => (200, new JsonArray([.. AgentStatuses.Select(a => (JsonNode)a.DeepClone())]).ToJsonString()),
            _ => Error(404, "not_found"),
        };
    }

    private (int, string) UpdateCategories(string threadId, FakeEngageRequest r)
    {
        if (!_threads.TryGetValue(threadId, out var thread)) return Error(404, "not_found");
        thread["thread_category_ids"] = Array(r.Values("thread_category_ids[]"));
        thread["category_ids"] = Array([.. r.Values("thread_category_ids[]"), EngagePayloads.OtherCategory]);
        return (200, thread.ToJsonString());
    }

    private (int, string) CloseThreadRequest(string threadId)
    {
        if (!_threads.TryGetValue(threadId, out var thread)) return Error(404, "not_found");
        if (!ThreadsClosable) return Error(403, "cant_close_thread", "This thread cannot be closed");
        thread["closed"] = true;
        return (200, thread.ToJsonString());
    }

    private (int, string) ListContents(FakeEngageRequest r)
    {
        var q = r.Value("q") ?? "";
        var threadId = q.StartsWith("thread:\"", StringComparison.Ordinal) ? q[8..q.IndexOf('"', 8)] : null;
        var limit = int.TryParse(r.Value("limit"), out var l) ? Math.Min(l, 150) : 30;
        var matching = _contents.Where(c => threadId is null || (string?)c["thread_id"] == threadId).OrderByDescending(c => (int)c["seq"]!).ToList();
        var page = new JsonArray([.. matching.Take(limit).Select(c => (JsonNode)c.DeepClone())]);
        return (200, new JsonObject { ["count"] = matching.Count, ["offset"] = 0, ["limit"] = limit, ["records"] = page }.ToJsonString());
    }

    private (int, string) CreateContent(FakeEngageRequest r)
    {
        var body = r.Value("body");
        var inReplyTo = r.Value("in_reply_to_id");
        if (string.IsNullOrEmpty(body)) return Error(400, "missing_body");
        var target = _contents.FirstOrDefault(c => (string?)c["id"] == inReplyTo);
        if (target is null) return Error(422, "in_reply_to_not_found");
        var threadId = (string)target["thread_id"]!;
        if ((bool)_threads[threadId]["closed"]! == true) return Error(403, "cant_reply_to_closed_thread", "Can't reply to closed thread");
        var interventionId = (string?)target["intervention_id"];
        var open = interventionId is not null && _interventions.TryGetValue(interventionId, out var i) && !(bool)i["closed"]! && (bool?)i["cancelled"] != true;
        if (RequireOpenIntervention && !open) return Error(422, "intervention_not_open");
        if (open) _interventions[interventionId!]["user_replies_count"] = (int)_interventions[interventionId!]["user_replies_count"]! + 1;
        var content = new JsonObject
        {
            ["id"] = EngagePayloads.NewId("65e0"),
            ["thread_id"] = threadId,
            ["source_id"] = EngagePayloads.SourceId,
            ["author_id"] = BotIdentityId,
            ["creator_id"] = BotUserId,
            ["created_from"] = "api",
            ["status"] = "user_reply",
            ["body"] = body,
            ["in_reply_to_id"] = inReplyTo,
            ["intervention_id"] = open ? interventionId : null,
            ["auto_submitted"] = r.Value("auto_submitted") == "true",
            ["private_message"] = r.Value("private") == "true",
            ["category_ids"] = Array(ThreadCategories(threadId)),
            ["created_at"] = DateTimeOffset.UtcNow.ToString("O"),
            ["seq"] = ++_sequence,
        };
        _contents.Add(content);
        return (200, content.ToJsonString());
    }

    private (int, string) CreateIntervention(FakeEngageRequest r)
    {
        var content = _contents.FirstOrDefault(c => (string?)c["id"] == r.Value("content_id"));
        if (content is null) return Error(404, "not_found");
        var existing = (string?)content["intervention_id"];
        if (existing is not null && _interventions.TryGetValue(existing, out var current) && !(bool)current["closed"]!) return Error(422, "intervention_already_opened");
        var intervention = new JsonObject
        {
            ["id"] = EngagePayloads.NewId("65d0"),
            ["thread_id"] = content["thread_id"]!.GetValue<string>(),
            ["content_id"] = content["id"]!.GetValue<string>(),
            ["user_id"] = BotUserId,
            ["closed"] = false,
            ["status"] = "Ouverte",
            ["user_replies_count"] = 0,
        };
        _interventions[(string)intervention["id"]!] = intervention;
        foreach (var c in _contents.Where(c => (string?)c["thread_id"] == (string?)content["thread_id"] && c["creator_id"] is null)) c["intervention_id"] = (string)intervention["id"]!;
        return (200, intervention.ToJsonString());
    }

    private (int, string) ListInterventions(FakeEngageRequest r)
    {
        var matching = _interventions.Values.Where(i =>
                (r.Value("thread_id") is not { } t || (string?)i["thread_id"] == t) &&
                (r.Value("user_id") is not { } u || (string?)i["user_id"] == u) &&
                (r.Value("status") is not ("active" or "opened") || (!(bool)i["closed"]! && (bool?)i["cancelled"] != true)))
            .Select(i => (JsonNode)i.DeepClone()).ToList();
        return (200, new JsonObject { ["count"] = matching.Count, ["offset"] = 0, ["limit"] = 30, ["records"] = new JsonArray([.. matching]) }.ToJsonString());
    }

    private (int, string) CreateComment(FakeEngageRequest r)
    {
        var id = r.Value("intervention_id");
        if (id is null || !_interventions.TryGetValue(id, out var intervention)) return Error(404, "not_found");
        if (string.IsNullOrEmpty(r.Value("body"))) return Error(400, "missing_body");
        var comments = intervention["comments"] as JsonArray ?? new JsonArray();
        comments.Add((JsonNode)r.Value("body")!);
        intervention["comments"] = comments;
        return (200, new JsonObject { ["id"] = EngagePayloads.NewId("65cc"), ["intervention_id"] = id, ["body"] = r.Value("body") }.ToJsonString());
    }

    private (int, string) CloseIntervention(string id)
    {
        if (!_interventions.TryGetValue(id, out var i) || (bool?)i["cancelled"] == true) return Error(404, "not_found");
        if ((bool)i["closed"]! || (int)i["user_replies_count"]! == 0) return Error(403, "cant_close_intervention");
        i["closed"] = true;
        return (200, i.ToJsonString());
    }

    private (int, string) CancelIntervention(string id)
    {
        if (!_interventions.TryGetValue(id, out var i) || (bool?)i["cancelled"] == true) return Error(404, "not_found");
        if ((bool)i["closed"]! || (int)i["user_replies_count"]! > 0) return Error(403, "cant_cancel_intervention");
        i["cancelled"] = true;
        i["closed"] = true;
        return (200, i.ToJsonString());
    }

    private static (int, string) Found(JsonObject? o) => o is null ? Error(404, "not_found") : (200, o.ToJsonString());

    private static (int, string) Error(int status, string error, string? message = null) =>
        (status, new JsonObject { ["error"] = error, ["message"] = message ?? error, ["status"] = status }.ToJsonString());

    private static JsonArray Array(IEnumerable<string> values) => new([.. values.Select(v => (JsonNode)v)]);
}

public sealed record FakeEngageRequest(string Method, string Path, string RawQuery, IReadOnlyDictionary<string, StringValues> Parameters, string Authorization, TimeSpan At)
{
    public string? Value(string name) => Parameters.TryGetValue(name, out var v) && v.Count > 0 ? v[0] : null;
    public IReadOnlyList<string> Values(string name) => Parameters.TryGetValue(name, out var v) ? [.. v.Where(s => s is not null).Select(s => s!)] : [];
    public bool Is(string method, string pathPrefix) => Method == method && Path.StartsWith(pathPrefix, StringComparison.Ordinal);
    public override string ToString() => $"{Method} {Path}{RawQuery}";
}

public sealed record FakeContent(string Id, string ThreadId, string Body, string? InReplyToId, string? InterventionId, bool Private = false);

public sealed record FakeIntervention(string Id, string? ContentId, string? UserId, bool Closed, bool Cancelled, int BotReplies, IReadOnlyList<string> Comments);
