using Conversations.Gateway.Admin;
using Conversations.Gateway.Admin.Stats;
using Conversations.Gateway.Hosting;
using Conversations.Gateway.Tests.Support;
using Conversations.Gateway.Webhooks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using System.Diagnostics.Metrics;

namespace Conversations.Gateway.Tests.Admin.Stats;

/// <summary>The background sampler on a fake clock: one sample per interval, the inbox lag from the store, nothing without an admin token.</summary>
public sealed class LiveStatsSamplerTests : IAsyncDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 30, 9, 0, 0, TimeSpan.Zero));
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ScriptedStore _store = new();
    private readonly ProjectMeterListener _listener;
    private readonly LiveStats _stats;

    public LiveStatsSamplerTests()
    {
        _listener = new ProjectMeterListener(_services.GetRequiredService<IMeterFactory>());
        _stats = new LiveStats(Options.Create(new LiveStatsOptions { Interval = TimeSpan.FromSeconds(5), Window = TimeSpan.FromMinutes(10) }), _time);
    }

    public async ValueTask DisposeAsync()
    {
        _listener.Dispose();
        await _services.DisposeAsync();
    }

    private LiveStatsSampler Sampler(string? token) => new(
        _listener, _stats, _store, Options.Create(new AdminOptions { Token = token }), _time, new GatewayLog(NullLoggerFactory.Instance));

    private async Task<IReadOnlyList<LiveStatsSample>> WaitForSamplesAsync(int count)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (true)
        {
            var samples = _stats.Samples();
            if (samples.Count >= count) return samples;
            if (DateTime.UtcNow > deadline) Assert.Fail($"Timed out after 10 s waiting for {count} samples (saw {samples.Count})");
            await Task.Delay(10);
        }
    }

    [Fact]
    public async Task Each_interval_becomes_one_sample_with_the_rates_and_the_stores_inbox_lag()
    {
        var webhooks = new WebhookMetrics(_services.GetRequiredService<IMeterFactory>());
        var sampler = Sampler("token");
        _store.InboxLag = TimeSpan.FromSeconds(3);
        await sampler.StartAsync(CancellationToken.None);

        for (var i = 0; i < 10; i++) webhooks.Record("chatwoot", "acme", WebhookOutcome.Accepted, TimeSpan.Zero);
        _time.Advance(TimeSpan.FromSeconds(5));
        var first = Assert.Single(await WaitForSamplesAsync(1));

        _store.InboxLagFailure = new TimeoutException("store down");
        webhooks.Record("chatwoot", "acme", WebhookOutcome.StoreFailed, TimeSpan.Zero);
        _time.Advance(TimeSpan.FromSeconds(5));
        var second = (await WaitForSamplesAsync(2))[1];

        _store.InboxLagFailure = null;
        _store.InboxLag = null;
        _time.Advance(TimeSpan.FromSeconds(5));
        var third = (await WaitForSamplesAsync(3))[2];
        await sampler.StopAsync(CancellationToken.None);

        Assert.Equal(2, first.WebhooksPerSecond);
        Assert.Equal(3, first.InboxLagSeconds);
        Assert.Equal(0.2, second.WebhooksPerSecond);
        Assert.Equal(0.2, second.FailedWebhooksPerSecond);
        Assert.Null(second.InboxLagSeconds);
        // Nothing unconsumed: a lag of zero, not unknown.
        Assert.Equal(0, third.InboxLagSeconds);
        Assert.Equal([WebhookMetrics.MeterName], _listener.Meters);
    }

    [Fact]
    public async Task Without_an_admin_token_nothing_listens_and_nothing_is_sampled()
    {
        var webhooks = new WebhookMetrics(_services.GetRequiredService<IMeterFactory>());
        var sampler = Sampler(token: null);
        await sampler.StartAsync(CancellationToken.None);

        webhooks.Record("chatwoot", "acme", WebhookOutcome.Accepted, TimeSpan.Zero);
        _time.Advance(TimeSpan.FromSeconds(30));
        await sampler.StopAsync(CancellationToken.None);

        Assert.Empty(_stats.Samples());
        Assert.Empty(_listener.Meters);
        Assert.Equal(0, _listener.Read().Webhooks);
    }
}
