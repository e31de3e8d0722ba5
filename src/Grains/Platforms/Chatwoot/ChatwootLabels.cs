using System.Text.Json;
using Conversations.Grains.Conversation;

namespace Conversations.Grains.Platforms.Chatwoot;

/// <summary>
/// Adds labels to a conversation. Chatwoot's <c>POST .../labels</c> replaces the whole set, so the current labels are
/// read first (<c>GET .../labels</c>) and the union is written; nothing is written when every label is already there.
/// The read and the write are one action: a retry reads again, so labels an agent set meanwhile are kept.
/// </summary>
public sealed class ChatwootLabels(ChatwootClient client, TimeProvider time)
{
    public async ValueTask<SendOutcome> AddAsync(TenantOptions tenant, string accountId, string conversationId, IReadOnlyList<string> labels, CancellationToken cancellationToken)
    {
        List<string> current;
        using (var read = await client.GetLabelsAsync(tenant, accountId, conversationId, cancellationToken))
        {
            if (!read.IsSuccessStatusCode) return await HttpSendOutcomes.FromResponseAsync(read, time, cancellationToken);
            // Writing without knowing the current labels would remove them: an unreadable answer is not retried blindly.
            if (Parse(await read.Content.ReadAsByteArrayAsync(cancellationToken)) is not { } known)
                return SendOutcome.Failed("GET labels answered something other than {\"payload\":[...]}");
            current = known;
        }
        var union = current.Concat(labels).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (union.Count == current.Count) return SendOutcome.Sent;
        using var write = await client.SetLabelsAsync(tenant, accountId, conversationId, union, cancellationToken);
        return await HttpSendOutcomes.FromResponseAsync(write, time, cancellationToken);
    }

    /// <summary>
    /// <c>{"payload":["a","b"]}</c> as Chatwoot's view renders it; a bare array and label objects with a title are read too.
    /// Null when it is neither.
    /// </summary>
    public static List<string>? Parse(ReadOnlyMemory<byte> body)
    {
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement;
            var list = root.ValueKind == JsonValueKind.Object && root.TryGetProperty("payload", out var payload) ? payload : root;
            if (list.ValueKind != JsonValueKind.Array) return null;
            var labels = new List<string>();
            foreach (var item in list.EnumerateArray())
            {
                var title = item.ValueKind == JsonValueKind.String ? item.GetString()
                    : item.ValueKind == JsonValueKind.Object && item.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()
                    : null;
                if (string.IsNullOrEmpty(title)) return null;
                labels.Add(title);
            }
            return labels;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
