using Conversations.Gateway.Webhooks.Chatwoot;

namespace Conversations.Gateway.Tests.Chatwoot;

public sealed class HtmlTextTests
{
    [Theory]
    [InlineData("plain text stays", "plain text stays")]
    [InlineData("I <3 this & that", "I <3 this & that")]
    [InlineData("<p>Hi</p>\n", "Hi")]
    [InlineData("<p>one<br>two<br/>three</p>", "one\ntwo\nthree")]
    [InlineData("<p>a &lt;b&gt; &amp; &quot;c&quot;&nbsp;d</p>", "a <b> & \"c\" d")]
    [InlineData("<ul><li>x</li><li>y</li></ul>", "- x\n- y")]
    [InlineData("<p>x</p><script>alert(1)</script><style>p{}</style>", "x")]
    [InlineData("<a href=\"https://e.com\">link</a> text", "link text")]
    [InlineData("", "")]
    public void Reduces_html_to_plain_text(string html, string expected) => Assert.Equal(expected, HtmlText.ToPlain(html));
}
