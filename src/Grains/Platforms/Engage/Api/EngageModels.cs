namespace Conversations.Grains.Platforms.Engage.Api;

// Shapes of Engage's REST resources (its OpenAPI components.schemas), reduced to the fields the proxy reads.
// Unknown fields are ignored; every id is a string (numbers are accepted, see EngageJson).

/// <summary>A paged collection: <c>{count, offset, limit, records}</c>.</summary>
public sealed record EngageList<T>(int Count, int Offset, int Limit, IReadOnlyList<T> Records);

public sealed record EngageContent
{
    public string Id { get; init; } = "";
    public string? SourceId { get; init; }
    public string? ThreadId { get; init; }
    public string? AuthorId { get; init; }
    public string? CreatorId { get; init; }
    public string? Type { get; init; }
    public string? CreatedFrom { get; init; }
    public string? Status { get; init; }
    public string? InterventionId { get; init; }
    public string? Body { get; init; }
    public string? BodyInputFormat { get; init; }
    public List<string>? CategoryIds { get; init; }
    public bool? FirstInThread { get; init; }
    public string? InReplyToId { get; init; }
    /// <summary>The REST name of the webhook's <c>private</c>.</summary>
    public bool? PrivateMessage { get; init; }
    public bool? ApprovalRequired { get; init; }
    public bool? AutoSubmitted { get; init; }
    public string? SynchronizationStatus { get; init; }
    public string? SynchronizationError { get; init; }
    public DateTimeOffset? CreatedAt { get; init; }
}

public sealed record EngageThread
{
    public string Id { get; init; } = "";
    public string? SourceId { get; init; }
    public string? Title { get; init; }
    public bool? Closed { get; init; }
    /// <summary>The union of thread, content and intervention categories: never write it back.</summary>
    public List<string>? CategoryIds { get; init; }
    /// <summary>The thread's own categories: the set <c>update_categories</c> replaces.</summary>
    public List<string>? ThreadCategoryIds { get; init; }
}

public sealed record EngageIntervention
{
    public string Id { get; init; } = "";
    public string? ThreadId { get; init; }
    public string? ContentId { get; init; }
    public string? UserId { get; init; }
    public bool? Closed { get; init; }
    public int? UserRepliesCount { get; init; }
}

public sealed record EngageUser
{
    public string Id { get; init; } = "";
    public string? Firstname { get; init; }
    public string? Lastname { get; init; }
    public List<string>? IdentityIds { get; init; }
    public List<string>? CategoryIds { get; init; }
}

public sealed record EngageIdentity
{
    public string Id { get; init; } = "";
    public string? DisplayName { get; init; }
    public string? Screenname { get; init; }
    public string? Firstname { get; init; }
    public string? Lastname { get; init; }
    /// <summary>Non-empty when the identity belongs to an agent (Engage's bot guide: agents' identities are not customers).</summary>
    public List<string>? UserIds { get; init; }

    public string? BestName =>
        !string.IsNullOrWhiteSpace(DisplayName) ? DisplayName
        : !string.IsNullOrWhiteSpace(Screenname) ? Screenname
        : string.Join(' ', new[] { Firstname, Lastname }.Where(s => !string.IsNullOrWhiteSpace(s))) is { Length: > 0 } full ? full
        : null;
}

/// <summary><c>GET /status</c>: one connected agent.</summary>
public sealed record EngageAgentStatus
{
    public string? AgentId { get; init; }
    public List<EngageAgentChannel>? Channels { get; init; }
}

public sealed record EngageAgentChannel
{
    public string? Id { get; init; }
    public string? Name { get; init; }
    public string? Status { get; init; }
    public string? Busyness { get; init; }

    /// <summary>Engage's routing rule: available and not full.</summary>
    public bool CanTakeWork => Status == "available" && Busyness != "full";
}
