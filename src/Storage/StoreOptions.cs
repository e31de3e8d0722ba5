namespace Conversations.Storage;

/// <summary>Settings under <c>Conversations:Store</c> that every provider shares.</summary>
public sealed class StoreOptions
{
    public const string Section = "Conversations:Store";

    /// <summary><c>Memory</c> (one process, the default) or <c>Postgres</c> (durable, clustered).</summary>
    public string Provider { get; set; } = "Memory";

    public string? ConnectionString { get; set; }

    /// <summary>How long a dedupe key keeps dropping repeats (Engage retries for up to 24 h).</summary>
    public TimeSpan DedupeWindow { get; set; } = TimeSpan.FromDays(7);

    public bool IsPostgres => Provider.Equals("Postgres", StringComparison.OrdinalIgnoreCase);
    public bool IsMemory => Provider.Equals("Memory", StringComparison.OrdinalIgnoreCase);
}
