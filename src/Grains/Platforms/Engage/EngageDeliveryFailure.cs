using System.Text.RegularExpressions;

namespace Conversations.Grains.Platforms.Engage;

/// <summary>
/// What the grain decided about a bot reply Engage could not push to the channel (content.exported with
/// synchronization_status unsuccessful), carried on the event from <c>PrepareAsync</c> to the fold.
/// </summary>
internal static partial class EngageDeliveryFailure
{
    public const string Decision = "engage.delivery";
    public const string Retry = "retry";
    public const string Handoff = "handoff";
    public const string Error = "engage.delivery_error";
    public const string Body = "engage.delivery_body";
    public const string ReplyTo = "engage.delivery_reply_to";

    /// <summary>
    /// Engage's synchronization_error is free text with no documented values: timeouts, rate limits, server and
    /// network errors read as transient; anything else (or no reason at all) is not worth repeating.
    /// </summary>
    public static bool LooksTransient(string? error) => error is { Length: > 0 } && TransientPattern().IsMatch(error);

    [GeneratedRegex(@"time.?out|timed out|temporar|unavailable|try again|retry|rate.?limit|too many|throttl|network|connection|\b5\d\d\b|internal (server )?error", RegexOptions.IgnoreCase)]
    private static partial Regex TransientPattern();
}
