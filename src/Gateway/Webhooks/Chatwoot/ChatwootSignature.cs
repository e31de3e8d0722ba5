using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Conversations.Gateway.Hosting;
using Microsoft.AspNetCore.Http;

namespace Conversations.Gateway.Webhooks.Chatwoot;

/// <summary>
/// Chatwoot's proof that a webhook is genuine. With a WebhookSecret: X-Chatwoot-Signature =
/// "sha256=" + hex HMAC-SHA256(secret, "{X-Chatwoot-Timestamp}.{raw body}"), timestamp within
/// <see cref="MaxSkew"/>. With a UrlToken (Chatwoot versions that do not sign): ?token=. Both compared in constant time.
/// </summary>
public static class ChatwootSignature
{
    public const string SignatureHeader = "X-Chatwoot-Signature";
    public const string TimestampHeader = "X-Chatwoot-Timestamp";
    public const string DeliveryHeader = "X-Chatwoot-Delivery";
    public static readonly TimeSpan MaxSkew = TimeSpan.FromSeconds(300);

    /// <summary>Null when the request proves itself; otherwise why not (for the 401 and the log, never with secrets).</summary>
    public static string? Verify(WebhookRequest request, TenantOptions tenant)
    {
        if (VerifyHead(request.Query, request.Headers, request.ReceivedAt, tenant) is { } problem) return problem;
        if (string.IsNullOrEmpty(tenant.WebhookSecret)) return null;
        var signature = Header(request.Headers, SignatureHeader)!;
        var seconds = long.Parse(Header(request.Headers, TimestampHeader)!, NumberStyles.None, CultureInfo.InvariantCulture);
        var expected = Sign(tenant.WebhookSecret, seconds, request.Body.Span);
        return Secrets.Same(signature.Trim().ToLowerInvariant(), expected) ? null : "wrong signature";
    }

    /// <summary>
    /// Everything that can be proven without the body: the URL token whole; of a signature, that it is there,
    /// shaped like one, and dated within <see cref="MaxSkew"/>. Null when the body is worth reading.
    /// </summary>
    public static string? VerifyHead(IQueryCollection query, IHeaderDictionary headers, DateTimeOffset receivedAt, TenantOptions tenant)
    {
        if (!string.IsNullOrEmpty(tenant.WebhookSecret) && VerifySignatureHead(headers, receivedAt) is { } signatureProblem)
            return signatureProblem;
        if (!string.IsNullOrEmpty(tenant.UrlToken))
        {
            var given = query["token"].ToString();
            if (given.Length == 0) return "missing ?token=";
            if (!Secrets.Same(given, tenant.UrlToken)) return "wrong token";
        }
        if (string.IsNullOrEmpty(tenant.WebhookSecret) && string.IsNullOrEmpty(tenant.UrlToken)) return "tenant has no webhook proof configured";
        return null;
    }

    public static string Sign(string secret, long timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.UTF8.GetBytes(timestamp.ToString(CultureInfo.InvariantCulture) + ".");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        return "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message));
    }

    private static string? VerifySignatureHead(IHeaderDictionary headers, DateTimeOffset receivedAt)
    {
        var signature = Header(headers, SignatureHeader);
        var timestamp = Header(headers, TimestampHeader);
        if (signature is null) return $"missing {SignatureHeader}";
        if (timestamp is null) return $"missing {TimestampHeader}";
        if (!IsSignatureShaped(signature.AsSpan().Trim())) return $"unreadable {SignatureHeader}";
        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)) return $"unreadable {TimestampHeader}";
        var skew = receivedAt - DateTimeOffset.FromUnixTimeSeconds(Math.Clamp(seconds, 0, 253402300799));
        return skew.Duration() > MaxSkew ? "stale timestamp" : null;
    }

    /// <summary>"sha256=" and 64 hex digits, as <see cref="Sign"/> writes it (any case).</summary>
    private static bool IsSignatureShaped(ReadOnlySpan<char> signature) =>
        signature.Length == 7 + 64
        && signature[..7].Equals("sha256=", StringComparison.OrdinalIgnoreCase)
        && !signature[7..].ContainsAnyExcept(HexDigits);

    private static readonly System.Buffers.SearchValues<char> HexDigits = System.Buffers.SearchValues.Create("0123456789abcdefABCDEF");

    private static string? Header(IHeaderDictionary headers, string name) =>
        headers.TryGetValue(name, out var value) && value.ToString() is { Length: > 0 } text ? text : null;
}
