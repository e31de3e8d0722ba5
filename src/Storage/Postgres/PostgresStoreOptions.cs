namespace Conversations.Storage.Postgres;

/// <summary>The PostgreSQL store (<c>Conversations:Store</c>).</summary>
public sealed class PostgresStoreOptions
{
    public const string SectionName = "Conversations:Store";

    /// <summary>Npgsql connection string. Required when the provider is Postgres.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>Server-side cap on any one statement of the runtime (statement_timeout). Default 30 s.</summary>
    public TimeSpan StatementTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Sessions idle inside a transaction longer than this are killed by the server
    /// (idle_in_transaction_session_timeout), so no held snapshot stops vacuum. Default 60 s.
    /// </summary>
    public TimeSpan IdleInTransactionSessionTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Consumed inbox rows (and so their dedupe keys) are kept this long, then
    /// deleted by the retention sweep. Default 7 days.
    /// </summary>
    public TimeSpan DedupeWindow { get; set; } = TimeSpan.FromDays(7);

    /// <summary>How often a silo runs the retention sweep (one process at a time). Default 1 minute.</summary>
    public TimeSpan RetentionInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gateways group-commit concurrent appends: at most this many events per statement. Default 256.</summary>
    public int AppendBatchSize { get; set; } = 256;

    /// <summary>Appending batches written at once (each holds one connection while it commits). Default 4.</summary>
    public int AppendWriters { get; set; } = 4;

    /// <summary>Apply the numbered schema files at start-up. Default true.</summary>
    public bool ApplySchema { get; set; } = true;

    private static string? ParseProblem(string connectionString)
    {
        try { PostgresDataSourceFactory.Parse(connectionString); return null; }
        catch (StartupProblemException ex) { return ex.Message; }
    }

    /// <summary>Returns the problems with these options, empty when valid.</summary>
    public IEnumerable<string> Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
            yield return $"{SectionName}:ConnectionString is required when {SectionName}:Provider is Postgres.";
        else if (ParseProblem(ConnectionString) is { } problem)
            yield return problem;
        if (StatementTimeout < TimeSpan.FromSeconds(1))
            yield return $"{SectionName}:StatementTimeout must be at least 1 s.";
        if (IdleInTransactionSessionTimeout < TimeSpan.FromSeconds(1))
            yield return $"{SectionName}:IdleInTransactionSessionTimeout must be at least 1 s.";
        if (DedupeWindow < TimeSpan.FromMinutes(1))
            yield return $"{SectionName}:DedupeWindow must be at least 1 minute.";
        if (AppendBatchSize < 1) yield return $"{SectionName}:AppendBatchSize must be at least 1.";
        if (AppendWriters is < 1 or > 64) yield return $"{SectionName}:AppendWriters must be between 1 and 64.";
        if (RetentionInterval <= TimeSpan.Zero)
            yield return $"{SectionName}:RetentionInterval must be positive.";
    }
}
