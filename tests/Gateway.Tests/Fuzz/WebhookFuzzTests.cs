using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Conversations.Gateway.Tests.Chatwoot;
using Conversations.Gateway.Tests.Support;
using Conversations.Gateway.Webhooks.Chatwoot;
using Conversations.Gateway.Webhooks.Engage;
using Conversations.TestSupport.Engage;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit.Abstractions;

namespace Conversations.Gateway.Tests.Fuzz;

/// <summary>
/// Issue 13: both webhook readers against thousands of damaged fixtures, through the real endpoint on a real
/// Kestrel: never a 5xx, never an error logged, and nothing stored from a request that did not prove itself.
/// Authentic requests go to one tenant, unproven ones to another of the same platform and secret, whose
/// inbox must stay empty. The seed is fixed (set CONVERSATIONS_FUZZ_SEED to try another) and printed.
/// </summary>
public sealed class WebhookFuzzTests(ITestOutputHelper output)
{
    private const int CasesPerReader = 5000;
    private const int MinimumCases = 1000;
    private const int Workers = 4;
    private const int MaxBodyBytes = 1024 * 1024;
    private static readonly TimeSpan Budget = TimeSpan.FromSeconds(8);
    private static readonly int Seed = int.TryParse(Environment.GetEnvironmentVariable("CONVERSATIONS_FUZZ_SEED"), CultureInfo.InvariantCulture, out var s) ? s : 1313;

    /// <summary>What a case sent and got; of the body only its length and the start a failure prints (the huge mutations would keep hundreds of MB alive).</summary>
    private sealed record Outcome(int Case, string Mutations, string Proof, bool Authentic, int Status, int BodyLength, string BodyStart);

    [Fact]
    public Task The_chatwoot_reader_survives_damaged_fixtures() => FuzzAsync("chatwoot", ChatwootSeeds(), (request, body, authentic, random) =>
    {
        if (authentic)
        {
            PlatformHost.Sign(request, body, PlatformHost.ChatwootSecret, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
            return "signed";
        }
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        switch (random.Next(6))
        {
            case 0: return "no signature";
            case 1: PlatformHost.Sign(request, [.. body, (byte)' '], PlatformHost.ChatwootSecret, now); return "signature of another body";
            case 2: PlatformHost.Sign(request, body, PlatformHost.ChatwootSecret, now - 3600); return "stale timestamp";
            case 3: PlatformHost.Sign(request, body, "not-the-secret", now); return "wrong secret";
            case 4:
                request.Headers.TryAddWithoutValidation(ChatwootSignature.TimestampHeader, now.ToString(CultureInfo.InvariantCulture));
                request.Headers.TryAddWithoutValidation(ChatwootSignature.SignatureHeader, "sha256=" + Convert.ToHexStringLower(RandomBytes(random, 32)));
                return "random signature";
            default:
                request.Headers.TryAddWithoutValidation(ChatwootSignature.TimestampHeader, "x" + now.ToString(CultureInfo.InvariantCulture));
                request.Headers.TryAddWithoutValidation(ChatwootSignature.SignatureHeader, ChatwootSignature.Sign(PlatformHost.ChatwootSecret, now, body));
                return "unreadable timestamp";
        }
    });

    [Fact]
    public Task The_engage_reader_survives_damaged_fixtures() => FuzzAsync("engage", EngageSeeds(), (request, _, authentic, random) =>
    {
        if (authentic)
        {
            request.Headers.TryAddWithoutValidation(EngageWebhookHandler.SecretHeader, PlatformHost.EngageSecret);
            return "secret";
        }
        var (value, proof) = random.Next(5) switch
        {
            0 => (null, "no secret"),
            1 => ("", "empty secret"),
            2 => (PlatformHost.EngageSecret.ToUpperInvariant(), "secret in another case"),
            3 => (PlatformHost.EngageSecret + " x", "secret and more"),
            _ => (Convert.ToHexString(RandomBytes(random, 12)), "random secret"),
        };
        if (value is not null) request.Headers.TryAddWithoutValidation(EngageWebhookHandler.SecretHeader, value);
        return proof;
    });

    private async Task FuzzAsync(string platform, IReadOnlyList<byte[]> seeds, Func<HttpRequestMessage, byte[], bool, Random, string> prove)
    {
        var log = new CapturingLoggerProvider(LogLevel.Error);
        var (host, store) = await PlatformHost.StartAsync(
            s =>
            {
                s["Conversations:Tenants:3:Id"] = "intruded-chatwoot";
                s["Conversations:Tenants:3:Platform"] = "Chatwoot";
                s["Conversations:Tenants:3:WebhookSecret"] = PlatformHost.ChatwootSecret;
                s["Conversations:Tenants:4:Id"] = "intruded-engage";
                s["Conversations:Tenants:4:Platform"] = "Engage";
                s["Conversations:Tenants:4:VerifyToken"] = PlatformHost.VerifyToken;
                s["Conversations:Tenants:4:WebhookSecret"] = PlatformHost.EngageSecret;
            },
            s => s.AddSingleton<ILoggerProvider>(log));
        await using var running = host;
        var (authenticTenant, intrudedTenant) = platform == "chatwoot" ? ("acme", "intruded-chatwoot") : ("globex", "intruded-engage");
        output.WriteLine($"{platform}: seed {Seed} (CONVERSATIONS_FUZZ_SEED), {seeds.Count} fixtures, up to {CasesPerReader} cases in {Budget.TotalSeconds:0} s");

        var outcomes = new ConcurrentBag<Outcome>();
        var clock = Stopwatch.StartNew();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, Workers).Select(worker => Task.Run(async () =>
        {
            int n;
            while ((n = Interlocked.Increment(ref next)) < CasesPerReader && clock.Elapsed < Budget)
            {
                // One generator per case: a case is the same whichever worker runs it.
                var random = new Random(HashCode.Combine(Seed, n));
                var (body, mutations) = new BodyMutator(random).Mutate(seeds[random.Next(seeds.Count)]);
                var authentic = random.Next(2) == 0;
                using var request = new HttpRequestMessage(HttpMethod.Post, $"/webhooks/{platform}/{(authentic ? authenticTenant : intrudedTenant)}") { Content = new ByteArrayContent(body) };
                request.Content.Headers.ContentType = new("application/json");
                var proof = prove(request, body, authentic, random);
                using var response = await host.Http.SendAsync(request);
                outcomes.Add(new Outcome(n, mutations, proof, authentic, (int)response.StatusCode, body.Length, Encoding.UTF8.GetString(body.AsSpan(0, Math.Min(body.Length, 300)))));
            }
        })));
        var elapsed = clock.Elapsed;

        var statuses = string.Join(", ", outcomes.GroupBy(o => (o.Authentic, o.Status)).OrderBy(g => g.Key).Select(g => $"{(g.Key.Authentic ? "authentic" : "unproven")} {g.Key.Status} x{g.Count()}"));
        output.WriteLine($"{outcomes.Count} cases in {elapsed.TotalSeconds:F1} s: {statuses}");
        // Unproven: 401, or 413 for a body over the limit whose head looked signed (its signature needs the body).
        var wrong = outcomes.Where(o => o.Status >= 500 || (o.Authentic
            ? o.Status is not (200 or 400 or 413)
            : o.Status != 401 && !(o.Status == 413 && o.BodyLength > MaxBodyBytes))).OrderBy(o => o.Case).ToList();
        foreach (var o in wrong.Take(5))
            output.WriteLine($"case {o.Case} ({o.Mutations}; {o.Proof}) answered {o.Status}: {o.BodyStart}");

        Assert.True(wrong.Count == 0, $"seed {Seed}: {wrong.Count} cases answered what they should not ({statuses}); the first: case {wrong.FirstOrDefault()?.Case} ({wrong.FirstOrDefault()?.Mutations}; {wrong.FirstOrDefault()?.Proof}) got {wrong.FirstOrDefault()?.Status}");
        Assert.True(log.Lines.IsEmpty, $"seed {Seed}: errors were logged:\n{string.Join("\n", log.Lines.Take(5))}");
        Assert.True(outcomes.Count >= MinimumCases, $"only {outcomes.Count} cases ran in {Budget}");
        // The authentic side reached the readers: some stored, some refused as malformed.
        Assert.Contains(outcomes, o => o.Authentic && o.Status == 200);
        Assert.Contains(outcomes, o => o.Authentic && o.Status == 400);
        var stored = await store.FindUnconsumedAsync(TimeSpan.Zero, 100_000, CancellationToken.None);
        Assert.Contains(stored, k => k.Tenant == authenticTenant);
        Assert.DoesNotContain(stored, k => k.Tenant == intrudedTenant);
    }

    private static byte[] RandomBytes(Random random, int count)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        return bytes;
    }

    private static IReadOnlyList<byte[]> ChatwootSeeds() =>
    [
        .. new[] { "message_created.incoming_text", "message_created.outgoing_bot_echo", "message_updated.input_select_submitted", "conversation_status_changed.to_pending", "conversation_resolved" }
            .Select(ChatwootHandlerHarness.Fixture),
    ];

    private static IReadOnlyList<byte[]> EngageSeeds()
    {
        const string thread = "65f0a1b2c3d4e5f601234567";
        JsonObject[] envelopes =
        [
            EngagePayloads.Envelope(EngagePayloads.CustomerMessage(thread, "Where is my order?", contentId: "65f0a1b9c3d4e5f6012345c1")),
            EngagePayloads.Envelope(EngagePayloads.Outgoing("content.replied", thread, "Hello from the bot", EngagePayloads.BotUser, EngagePayloads.BotIdentity, contentId: "65c0a1b9c3d4e5f6012345c2")),
            EngagePayloads.Envelope(EngagePayloads.Intervention("intervention.opened", thread, EngagePayloads.AgentUser, "65d0a1b9c3d4e5f6012345c3", categories: [EngagePayloads.AgentCategory])),
            EngagePayloads.Envelope(
                EngagePayloads.CustomerMessage(thread, "first", contentId: "65f0a1b9c3d4e5f6012345c4"),
                EngagePayloads.CustomerMessage(thread, "<p>second</p>", contentId: "65f0a1b9c3d4e5f6012345c5"),
                EngagePayloads.ThreadClosed(thread)),
        ];
        return [PlatformHost.EngageContent(), .. envelopes.Select(e => Encoding.UTF8.GetBytes(e.ToJsonString()))];
    }
}
