namespace Conversations.Grains.Interfaces.Tests;

/// <summary>PlainText.Cap, shared by the transcript cap and Engage's outbound and inbound texts.</summary>
public sealed class PlainTextCapTests
{
    [Fact]
    public void A_text_that_fits_is_returned_as_is() => Assert.Same("short", PlainText.Cap("short", 10));

    [Fact]
    public void A_long_text_keeps_its_start_and_the_marker_in_max_characters()
    {
        Assert.Equal("abcd…", PlainText.Cap("abcdefghij", 5));
        Assert.Equal("ab…[cut]", PlainText.Cap("abcdefghij", 8, "…[cut]"));
    }

    [Fact]
    public void A_cut_never_ends_in_half_of_a_surrogate_pair()
    {
        // "abc" then an emoji (two UTF-16 units): a cut after 4 units would keep only its high surrogate.
        var capped = PlainText.Cap("abc\U0001F600def", 5);
        Assert.Equal("abc…", capped);
        Assert.False(char.IsHighSurrogate(capped[^2]));
        Assert.Equal(capped, System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(capped)));
    }
}
