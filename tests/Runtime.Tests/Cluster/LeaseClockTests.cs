using Conversations.Runtime.Cluster;

namespace Conversations.Runtime.Tests.Cluster;

public sealed class LeaseClockTests
{
    private const long Frequency = 1_000_000;

    [Fact]
    public void Trust_ends_ttl_minus_margin_after_the_renew_was_sent()
    {
        var clock = new LeaseClock(TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(2));
        var sentAt = 5 * Frequency;
        Assert.Equal(sentAt + 13 * Frequency, clock.TrustedUntil(sentAt, Frequency));
    }

    [Fact]
    public void A_slow_response_does_not_extend_trust()
    {
        // The renew took 4 s to come back: trust still counts from the send.
        var clock = new LeaseClock(TimeSpan.FromSeconds(1.5), TimeSpan.FromSeconds(0.5));
        var until = clock.TrustedUntil(0, Frequency);
        Assert.Equal(TimeSpan.FromSeconds(-3), LeaseClock.Remaining(until, 4 * Frequency, Frequency));
    }

    [Theory]
    [InlineData(15, 2, 3)]
    [InlineData(1.5, 0.5, 0.5)]
    public void The_silo_stops_before_anyone_may_take_over(double ttl, double margin, double grace)
    {
        var clock = new LeaseClock(TimeSpan.FromSeconds(ttl), TimeSpan.FromSeconds(margin));
        var stopsAfter = LeaseClock.Remaining(clock.TrustedUntil(0, Frequency), 0, Frequency);
        var takeoverAfter = LeaseClock.TakeoverAfter(TimeSpan.FromSeconds(ttl), TimeSpan.FromSeconds(grace));
        Assert.Equal(TimeSpan.FromSeconds(margin + grace), takeoverAfter - stopsAfter);
    }

    [Fact]
    public void Options_reject_renewals_too_rare_for_the_ttl()
    {
        var options = new ClusterOptions { LeaseTtl = TimeSpan.FromSeconds(3), RenewInterval = TimeSpan.FromSeconds(2) };
        Assert.Contains(options.Validate(), p => p.Contains("RenewInterval", StringComparison.Ordinal));
        Assert.Empty(new ClusterOptions().Validate());
    }
}
