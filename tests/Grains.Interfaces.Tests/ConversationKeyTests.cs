namespace Conversations.Grains.Interfaces.Tests;

public sealed class ConversationKeyTests
{
    [Fact]
    public void Empty_parts_are_refused()
    {
        Assert.ThrowsAny<ArgumentException>(() => new ConversationKey("", "x"));
        Assert.ThrowsAny<ArgumentException>(() => new ConversationKey("acme", ""));
    }

    [Theory]
    [InlineData("acme", "7:87")]
    [InlineData("acme", "65f0a1b2c3d4e5f601234567")]
    [InlineData("t", "ü-日本/with/slashes")]
    [InlineData("tenant-x", "12345")]
    public void Grain_keys_round_trip(string tenant, string id)
    {
        var key = new ConversationKey(tenant, id);

        Assert.Equal(key, ConversationGrainKey.Parse(ConversationGrainKey.Format(key)));
    }

    [Theory]
    [InlineData("12345")]
    [InlineData("a1")]
    [InlineData("00a1")]
    [InlineData("65f0a1b2c3d4e5f601234567")]
    public void Grain_keys_never_parse_as_hex_so_distinct_ids_never_collide(string id)
    {
        // Orleans reads a string key that parses as hex as an integer key ("a1" and "00a1" would be one grain).
        var grainKey = ConversationGrainKey.Format(new ConversationKey("acme", id));

        Assert.False(long.TryParse(grainKey, System.Globalization.NumberStyles.HexNumber, null, out _));
        Assert.False(Guid.TryParse(grainKey, out _));
        Assert.StartsWith(ConversationGrainKey.Prefix, grainKey);
    }

    [Fact]
    public void Tenants_are_part_of_the_grain_key()
    {
        Assert.NotEqual(ConversationGrainKey.Format(new("a", "1:2")), ConversationGrainKey.Format(new("b", "1:2")));
        Assert.NotEqual(ConversationGrainKey.Format(new("ab", "c")), ConversationGrainKey.Format(new("a", "bc")));
    }

    [Theory]
    [InlineData("acme/1:2")]
    [InlineData("conversation/")]
    [InlineData("conversation/acme")]
    [InlineData("conversation//1")]
    [InlineData("conversation/acme/")]
    public void Malformed_grain_keys_are_refused(string grainKey)
    {
        Assert.Throws<FormatException>(() => ConversationGrainKey.Parse(grainKey));
    }
}
