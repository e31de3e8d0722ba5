using System.Collections.Concurrent;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Conversations.TestSupport.Http;

/// <summary>
/// A real Kestrel server on 127.0.0.1 (port 0) standing in for a platform or an AI engine. It
/// records every request and answers from scripted rules: the newest matching one-shot rule first
/// (<see cref="Enqueue"/>), then the newest matching standing rule (<see cref="On"/>), else 404.
/// </summary>
public sealed class LoopbackServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly List<Rule> _standing = [];
    private readonly List<Rule> _oneShot = [];
    private readonly Lock _gate = new();
    private readonly SemaphoreSlim _arrived = new(0);

    private LoopbackServer(WebApplication app) => _app = app;

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>Every request received so far, in arrival order.</summary>
    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    public static async Task<LoopbackServer> StartAsync(CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        var server = new LoopbackServer(app);
        app.Run(server.HandleAsync);
        await app.StartAsync(cancellationToken);
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.BaseAddress = new Uri(address.EndsWith('/') ? address : address + "/");
        return server;
    }

    /// <summary>Answers every matching request with <paramref name="respond"/> (newest rule wins).</summary>
    public LoopbackServer On(Func<RecordedRequest, bool> match, Func<RecordedRequest, LoopbackResponse> respond)
    {
        lock (_gate) _standing.Insert(0, new Rule(match, respond));
        return this;
    }

    public LoopbackServer On(string method, string pathPrefix, Func<RecordedRequest, LoopbackResponse> respond)
        => On(r => r.Is(method, pathPrefix), respond);

    /// <summary>Answers the next matching request once (queued in order), before any standing rule.</summary>
    public LoopbackServer Enqueue(Func<RecordedRequest, bool> match, LoopbackResponse response)
    {
        lock (_gate) _oneShot.Add(new Rule(match, _ => response));
        return this;
    }

    public LoopbackServer Enqueue(string method, string pathPrefix, LoopbackResponse response)
        => Enqueue(r => r.Is(method, pathPrefix), response);

    /// <summary>Forgets recorded requests (rules stay).</summary>
    public void ClearRequests() => _requests.Clear();

    /// <summary>Waits until at least <paramref name="count"/> recorded requests match, and returns them.</summary>
    public async Task<IReadOnlyList<RecordedRequest>> WaitForAsync(Func<RecordedRequest, bool> match, int count = 1, TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(15));
        while (true)
        {
            var found = _requests.Where(match).ToList();
            if (found.Count >= count) return found;
            try { await _arrived.WaitAsync(TimeSpan.FromMilliseconds(50), cts.Token); }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Expected {count} matching request(s), saw {found.Count}. Received:\n  " +
                    string.Join("\n  ", _requests.Select(r => $"{r.Method} {r.Path}{r.Query} {Truncate(r.Body)}")));
            }
        }
    }

    private static string Truncate(string s) => s.Length <= 300 ? s : s[..300] + "...";

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted);
        var request = new RecordedRequest(
            context.Request.Method,
            context.Request.Path.Value ?? "/",
            context.Request.QueryString.Value ?? "",
            context.Request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase),
            body,
            DateTimeOffset.UtcNow);
        _requests.Enqueue(request);
        _arrived.Release();

        LoopbackResponse response;
        lock (_gate)
        {
            var oneShot = _oneShot.FindIndex(r => r.Match(request));
            if (oneShot >= 0)
            {
                response = _oneShot[oneShot].Respond(request);
                _oneShot.RemoveAt(oneShot);
            }
            else
            {
                var standing = _standing.Find(r => r.Match(request));
                response = standing?.Respond(request) ?? LoopbackResponse.Status(404);
            }
        }

        if (response.Delay > TimeSpan.Zero)
        {
            try { await Task.Delay(response.Delay, context.RequestAborted); }
            catch (OperationCanceledException) { return; }
        }
        if (response.Abort) { context.Abort(); return; }
        context.Response.StatusCode = response.StatusCode;
        foreach (var (name, value) in response.Headers) context.Response.Headers[name] = value;
        if (response.Body is not null)
        {
            context.Response.ContentType = response.ContentType;
            await context.Response.WriteAsync(response.Body, context.RequestAborted);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _arrived.Dispose();
    }

    private sealed record Rule(Func<RecordedRequest, bool> Match, Func<RecordedRequest, LoopbackResponse> Respond);
}

/// <summary>A request as the fake server saw it.</summary>
public sealed record RecordedRequest(string Method, string Path, string Query, IReadOnlyDictionary<string, string> Headers, string Body, DateTimeOffset ReceivedAt)
{
    public bool Is(string method, string pathPrefix) =>
        string.Equals(Method, method, StringComparison.OrdinalIgnoreCase) && Path.StartsWith(pathPrefix, StringComparison.Ordinal);

    public string? Header(string name) => Headers.TryGetValue(name, out var v) ? v : null;

    public System.Text.Json.JsonElement Json() => System.Text.Json.JsonDocument.Parse(Body).RootElement.Clone();
}

/// <summary>A scripted answer: status, body, headers, an optional delay before answering, or an aborted connection.</summary>
public sealed record LoopbackResponse(int StatusCode, string? Body = null, string ContentType = "application/json")
{
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
    public TimeSpan Delay { get; init; }
    public bool Abort { get; init; }

    public static LoopbackResponse Json(string body, int statusCode = 200) => new(statusCode, body);
    public static LoopbackResponse Status(int statusCode) => new(statusCode, "{}");
    public static LoopbackResponse Dropped => new(0) { Abort = true };
    public LoopbackResponse WithHeader(string name, string value) => this with { Headers = new Dictionary<string, string>(Headers) { [name] = value } };
    public LoopbackResponse After(TimeSpan delay) => this with { Delay = delay };
}
