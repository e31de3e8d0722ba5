using System.Security.Cryptography;
using System.Text;

namespace Conversations.Gateway.Hosting;

/// <summary>
/// Secrets (webhook tokens, signatures, the admin token) compared through fixed-length SHA-256 digests:
/// FixedTimeEquals returns at once on a length mismatch, which would tell the secret's length.
/// </summary>
internal static class Secrets
{
    /// <summary>False when nothing is expected: an unset secret matches nothing.</summary>
    public static bool Same(string presented, string? expected) =>
        !string.IsNullOrEmpty(expected) && CryptographicOperations.FixedTimeEquals(Digest(presented), Digest(expected));

    public static byte[] Digest(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));
}
