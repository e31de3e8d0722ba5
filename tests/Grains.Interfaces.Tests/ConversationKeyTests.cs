namespace Conversations.Grains.Interfaces.Tests;

public sealed class ConversationKeyTests
{
    // Golden values computed independently (FNV-1a 64 over UTF-8 of tenant + '\n' + id). Shard
    // placement of stored conversations depends on them: they must never change.
    [Theory]
    [InlineData("acme", "7:87", 16892625158162296503UL, 695)]
    [InlineData("acme", "65f0a1b2c3d4e5f601234567", 1154790823651547070UL, 958)]
    [InlineData("t", "ü-日本", 4644898284440786579UL, 659)]
    [InlineData("acme", "1:23", 11265505184245869647UL, 79)]
    [InlineData("a", "b", 16554864001261364848UL, 624)]
    [InlineData("tenant-x", "thread-ABC-é", 16094029338051301854UL, 478)]
    public void Stable_hash_and_shard_match_golden_values(string tenant, string id, ulong hash, int shard)
    {
        var key = new ConversationKey(tenant, id);

        Assert.Equal(hash, key.StableHash());
        Assert.Equal(shard, key.Shard(1024));
    }

    [Fact]
    public void Long_ids_hash_the_same_as_their_bytes()
    {
        var id = new string('x', 500) + "é";
        Assert.Equal(new ConversationKey("acme", id).StableHash(), new ConversationKey("acme", id).StableHash());
        Assert.NotEqual(new ConversationKey("acme", id).StableHash(), new ConversationKey("acme", id + "x").StableHash());
    }

    [Fact]
    public void Tenant_and_id_are_separated_in_the_hash()
    {
        Assert.NotEqual(new ConversationKey("ab", "c").StableHash(), new ConversationKey("a", "bc").StableHash());
    }

    [Fact]
    public void Empty_parts_are_refused()
    {
        Assert.ThrowsAny<ArgumentException>(() => new ConversationKey("", "x"));
        Assert.ThrowsAny<ArgumentException>(() => new ConversationKey("acme", ""));
    }
}
