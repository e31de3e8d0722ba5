using System.Diagnostics;
using System.Net;
using Conversations.Gateway.Tests.Support;

namespace Conversations.Gateway.Tests.Limits;

/// <summary>Tests that measure the process's memory: nothing else of this assembly runs beside them.</summary>
[CollectionDefinition(nameof(AloneInTheProcess), DisableParallelization = true)]
public sealed class AloneInTheProcess;

/// <summary>
/// Issue 13.1 as it was found: hundreds of connections each sending most of a 1 MB body, then nothing, to a
/// known tenant. Before the limits every body was buffered whole and every connection stayed open for an hour.
/// </summary>
[Collection(nameof(AloneInTheProcess))]
public sealed class WebhookFloodTests
{
    private const int Unproven = 250;
    private const int Plausible = 50;
    private const int AnnouncedBody = 1_000_000;
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(6);

    [Fact]
    public async Task Hundreds_of_stalled_near_1_MB_unauthenticated_bodies_end_within_the_deadline_in_bounded_memory_while_another_tenant_is_answered()
    {
        var (host, store) = await PlatformHost.StartAsync(s => s["Conversations:Gateway:Limits:WebhookDeadline"] = Deadline.ToString());
        await using var running = host;
        using (var warm = await host.Http.SendAsync(PlatformHost.EngagePost(PlatformHost.EngageContent()))) Assert.Equal(HttpStatusCode.OK, warm.StatusCode);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var baseline = GC.GetTotalMemory(forceFullCollection: true);
        using var stopSampling = new CancellationTokenSource();
        // What is live (after a collection), sampled while the connections stall: garbage is not what the issue is about.
        long peak = baseline;
        var sampler = Task.Run(async () =>
        {
            while (!stopSampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true));
                try { await Task.Delay(100, stopSampling.Token); } catch (OperationCanceledException) { }
            }
        });

        // Most without any proof (refused from their head), some with a fresh, well-formed but false signature
        // (read until they stall). Every one sends all but the last kilobyte of its body and stalls.
        var body = new byte[AnnouncedBody - 1_000];
        using var stopSending = new CancellationTokenSource();
        var clock = Stopwatch.StartNew();
        var connections = await Task.WhenAll(Enumerable.Range(0, Unproven + Plausible).Select(async i =>
        {
            var connection = await RawHttpConnection.OpenAsync(host.Address);
            await connection.SendHeadAsync("/webhooks/chatwoot/acme", AnnouncedBody, i < Plausible ? PlatformHost.PlausibleSignature() : null);
            var headSent = clock.Elapsed;
            // Not awaited: once the server stops reading, the send waits on the socket buffers until the close.
            _ = connection.SendAsync(body, stopSending.Token).ContinueWith(static t => t.Exception, TaskScheduler.Default);
            return (Connection: connection, HeadSent: headSent);
        }));

        // Meanwhile another tenant's webhooks are answered as usual.
        var otherTenant = new List<(HttpStatusCode Status, TimeSpan Took)>();
        for (var i = 0; i < 10; i++)
        {
            var started = Stopwatch.GetTimestamp();
            using var response = await host.Http.SendAsync(PlatformHost.EngagePost(PlatformHost.EngageContent()));
            otherTenant.Add((response.StatusCode, Stopwatch.GetElapsedTime(started)));
            await Task.Delay(100);
        }

        // How long each connection lasted after its head.
        var closed = await Task.WhenAll(connections.Select(async c => await c.Connection.WaitClosedAsync(Deadline + TimeSpan.FromSeconds(10)) ? clock.Elapsed - c.HeadSent : (TimeSpan?)null));
        stopSampling.Cancel();
        await sampler;
        stopSending.Cancel();
        var statuses = connections.Select(c => StatusOf(c.Connection.Received)).ToList();
        foreach (var (connection, _) in connections) await connection.DisposeAsync();

        var growthMb = (peak - baseline) / (1024.0 * 1024.0);
        Assert.All(otherTenant, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        Assert.True(otherTenant.Max(r => r.Took) < TimeSpan.FromSeconds(2), $"another tenant waited up to {otherTenant.Max(r => r.Took).TotalMilliseconds:F0} ms");
        Assert.All(closed, c => Assert.NotNull(c));
        // The refused ones close after Kestrel's drain of what still arrives (at most 5 s), the stalled ones at the deadline.
        Assert.True(closed.Max() < Deadline + TimeSpan.FromSeconds(2), $"a connection lasted {closed.Max()!.Value.TotalSeconds:F1} s after its head");
        Assert.Equal(Unproven, statuses.Count(s => s == 401));
        Assert.Equal(Plausible, statuses.Count(s => s == 408));
        // 300 bodies of 1 MB buffered whole would be 300 MB; here the 50 read until they stalled (50 MB), Kestrel's
        // read-ahead (64 KiB a connection) and this test's own client side.
        Assert.True(growthMb < 160, $"the live heap grew by {growthMb:F0} MB");
        Assert.Equal([new ConversationKey("globex", "65f0a1b2c3d4e5f601234567")], await store.FindUnconsumedAsync(TimeSpan.Zero, 10, CancellationToken.None));
    }

    private static int? StatusOf(string received) =>
        received.StartsWith("HTTP/1.1 ", StringComparison.Ordinal) ? int.Parse(received.AsSpan(9, 3), System.Globalization.CultureInfo.InvariantCulture) : null;
}
