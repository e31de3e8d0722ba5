using Conversations.Gateway.Admin.Stats;

namespace Conversations.Gateway.Tests.Admin.Stats;

public sealed class LatencyHistogramTests
{
    private static double? Quantile(LatencyHistogram histogram, double q) => LatencyHistogram.Quantile(histogram.Snapshot(), q);

    [Fact]
    public void P50_and_p99_of_recordings_from_1_to_100_ms_are_within_the_bucket_width_of_50_and_99()
    {
        var histogram = new LatencyHistogram();
        for (var ms = 1; ms <= 100; ms++) histogram.Record(ms);

        Assert.InRange(Quantile(histogram, 0.50)!.Value, 50 * 0.91, 50 * 1.09);
        Assert.InRange(Quantile(histogram, 0.99)!.Value, 99 * 0.91, 99 * 1.09);
    }

    [Fact]
    public void A_slow_tail_shows_in_p99_and_not_in_p50()
    {
        var histogram = new LatencyHistogram();
        for (var i = 0; i < 980; i++) histogram.Record(20);
        for (var i = 0; i < 20; i++) histogram.Record(4_000);

        Assert.InRange(Quantile(histogram, 0.50)!.Value, 20 * 0.91, 20 * 1.09);
        Assert.InRange(Quantile(histogram, 0.99)!.Value, 4_000 * 0.91, 4_000 * 1.09);
    }

    [Theory]
    [InlineData(0.3)]
    [InlineData(7)]
    [InlineData(1234.5)]
    [InlineData(60_000)]
    public void One_recording_is_every_percentile_within_its_bucket(double ms)
    {
        var histogram = new LatencyHistogram();
        histogram.Record(ms);

        Assert.InRange(Quantile(histogram, 0.50)!.Value, ms * 0.91, ms * 1.09);
        Assert.Equal(Quantile(histogram, 0.50), Quantile(histogram, 0.99));
    }

    [Fact]
    public void No_recording_has_no_percentile()
    {
        Assert.Null(Quantile(new LatencyHistogram(), 0.5));
    }

    [Fact]
    public void Values_outside_the_range_land_in_the_end_buckets()
    {
        Assert.Equal(0, LatencyHistogram.IndexOf(0));
        Assert.Equal(0, LatencyHistogram.IndexOf(-5));
        Assert.Equal(0, LatencyHistogram.IndexOf(double.NaN));
        Assert.Equal(LatencyHistogram.BucketCount - 1, LatencyHistogram.IndexOf(1e9));
        Assert.Equal(LatencyHistogram.BucketCount - 1, LatencyHistogram.IndexOf(double.PositiveInfinity));
        var histogram = new LatencyHistogram();
        histogram.Record(1e9);
        Assert.Equal(LatencyHistogram.LowerBound(LatencyHistogram.BucketCount - 1), Quantile(histogram, 0.99));
    }

    [Fact]
    public void Buckets_are_contiguous_and_each_value_lands_in_the_bucket_whose_bounds_hold_it()
    {
        for (var ms = 0.2; ms < 200_000; ms *= 1.37)
        {
            var index = LatencyHistogram.IndexOf(ms);
            Assert.InRange(ms, LatencyHistogram.LowerBound(index), LatencyHistogram.LowerBound(index + 1));
        }
    }

    [Fact]
    public void The_percentiles_of_an_interval_are_those_of_the_difference_of_two_snapshots()
    {
        var histogram = new LatencyHistogram();
        for (var i = 0; i < 100; i++) histogram.Record(5);
        var before = histogram.Snapshot();
        for (var i = 0; i < 10; i++) histogram.Record(800);
        var after = histogram.Snapshot();

        var interval = after.Zip(before, (a, b) => a - b).ToArray();

        Assert.InRange(LatencyHistogram.Quantile(interval, 0.5)!.Value, 800 * 0.91, 800 * 1.09);
        Assert.InRange(LatencyHistogram.Quantile(after, 0.5)!.Value, 5 * 0.91, 5 * 1.09);
    }
}
