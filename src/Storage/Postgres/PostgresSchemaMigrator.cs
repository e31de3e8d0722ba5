using Microsoft.Extensions.Logging;
using Npgsql;

namespace Conversations.Storage.Postgres;

/// <summary>
/// Applies the embedded numbered schema files (Schema/NNN_name.sql) that the database has not seen,
/// each in its own transaction, under a session advisory lock so that silos and gateways starting
/// together apply each file exactly once.
/// </summary>
public sealed partial class PostgresSchemaMigrator(NpgsqlDataSource dataSource, ILogger<PostgresSchemaMigrator> logger)
{
    // Arbitrary constant shared by every process of every version: "conversations schema".
    private const long LockKey = 0x436F6E7653636867;
    private const string ResourcePrefix = "Conversations.Storage.Postgres.Schema.";

    /// <summary>The embedded schema files, ordered by version.</summary>
    public static IReadOnlyList<(int Version, string Name, string Sql)> Scripts { get; } = LoadScripts();

    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, null, "select pg_advisory_lock($1)", cancellationToken, LockKey);
        try
        {
            await ExecuteAsync(connection, null,
                "create table if not exists schema_version (version int primary key, name text not null, applied_at timestamptz not null default clock_timestamp())",
                cancellationToken);
            var applied = new HashSet<int>();
            await using (var command = new NpgsqlCommand("select version from schema_version", connection))
            await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
                while (await reader.ReadAsync(cancellationToken)) applied.Add(reader.GetInt32(0));

            foreach (var (version, name, sql) in Scripts)
            {
                if (applied.Contains(version)) continue;
                await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
                await ExecuteAsync(connection, transaction, sql, cancellationToken);
                await ExecuteAsync(connection, transaction, "insert into schema_version (version, name) values ($1, $2)", cancellationToken, version, name);
                await transaction.CommitAsync(cancellationToken);
                LogApplied(version, name);
            }
        }
        finally
        {
            await ExecuteAsync(connection, null, "select pg_advisory_unlock($1)", CancellationToken.None, LockKey);
        }
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction? transaction, string sql, CancellationToken cancellationToken, params object[] parameters)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        foreach (var parameter in parameters) command.Parameters.Add(new NpgsqlParameter { Value = parameter });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static List<(int, string, string)> LoadScripts()
    {
        var assembly = typeof(PostgresSchemaMigrator).Assembly;
        var scripts = new List<(int, string, string)>();
        foreach (var resource in assembly.GetManifestResourceNames())
        {
            if (!resource.StartsWith(ResourcePrefix, StringComparison.Ordinal)) continue;
            var name = resource[ResourcePrefix.Length..];
            var underscore = name.IndexOf('_', StringComparison.Ordinal);
            if (underscore <= 0 || !int.TryParse(name[..underscore], out var version))
                throw new InvalidOperationException($"Schema file '{name}' must be named NNN_description.sql.");
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var reader = new StreamReader(stream);
            scripts.Add((version, name, reader.ReadToEnd()));
        }
        scripts.Sort((a, b) => a.Item1.CompareTo(b.Item1));
        for (var i = 1; i < scripts.Count; i++)
            if (scripts[i].Item1 == scripts[i - 1].Item1)
                throw new InvalidOperationException($"Two schema files share version {scripts[i].Item1}.");
        return scripts;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied schema version {Version} ({Name})")]
    private partial void LogApplied(int version, string name);
}
