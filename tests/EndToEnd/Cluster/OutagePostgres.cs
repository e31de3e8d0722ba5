using System.Diagnostics;
using Conversations.TestSupport.Postgres;
using Npgsql;

namespace Conversations.EndToEnd.Cluster;

/// <summary>
/// Stop and start of a <see cref="PrivatePostgresServer"/> as two steps, for an outage that lasts
/// as long as the test wants (the server itself only offers <see cref="PrivatePostgresServer.RestartAsync"/>).
/// Everything comes from the running server: its data directory (<c>SHOW data_directory</c>) and the
/// exact command line it was started with (<c>postmaster.opts</c>, what <c>pg_ctl restart</c> reuses).
/// Runs pg_ctl as the postgres user when the tests run as root, like the server does.
/// </summary>
public sealed class OutagePostgres
{
    private readonly string _pgCtl;
    private readonly string _data;
    private readonly string _log;
    private readonly string _options;

    private OutagePostgres(string pgCtl, string data, string log, string options)
    {
        _pgCtl = pgCtl;
        _data = data;
        _log = log;
        _options = options;
    }

    /// <summary>Reads where the server lives and how it was started (the server must be up).</summary>
    public static async Task<OutagePostgres> OfAsync(PrivatePostgresServer server)
    {
        string data;
        await using (var connection = new NpgsqlConnection(server.ConnectionString + ";Pooling=false"))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand("show data_directory", connection);
            data = (string)(await command.ExecuteScalarAsync())!;
        }
        // postmaster.opts: /usr/lib/postgresql/15/bin/postgres "-D" "/tmp/.../data" "-p" "21234" ...
        var tokens = Tokens(await File.ReadAllTextAsync(Path.Combine(data, "postmaster.opts")));
        var postgres = tokens[0];
        var options = new List<string>();
        for (var i = 1; i < tokens.Count; i++)
        {
            if (tokens[i] == "-D") { i++; continue; }
            options.Add(tokens[i]);
        }
        var pgCtl = Path.Combine(Path.GetDirectoryName(postgres)!, "pg_ctl");
        var log = Path.Combine(Path.GetDirectoryName(data)!, "log");
        return new OutagePostgres(pgCtl, data, log, string.Join(' ', options.Select(o => $"\"{o}\"")));
    }

    /// <summary>Stops the server (fast: open sessions are terminated, new connections refused).</summary>
    public Task StopAsync() => PgCtlAsync("-D", _data, "-w", "-m", "fast", "stop");

    /// <summary>Starts it again with the options it had.</summary>
    public Task StartAsync() => PgCtlAsync("-D", _data, "-w", "-l", _log, "-o", _options, "start");

    private async Task PgCtlAsync(params string[] arguments)
    {
        var asRoot = Environment.UserName == "root";
        var start = new ProcessStartInfo(asRoot ? "runuser" : _pgCtl) { RedirectStandardOutput = true, RedirectStandardError = true };
        if (asRoot) foreach (var a in new[] { "-u", "postgres", "--", _pgCtl }) start.ArgumentList.Add(a);
        foreach (var a in arguments) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"pg_ctl {string.Join(' ', arguments)} failed ({process.ExitCode}): {await output}{await error}");
    }

    /// <summary>Splits postmaster.opts: double-quoted tokens (the binary's path is unquoted).</summary>
    private static List<string> Tokens(string line)
    {
        var tokens = new List<string>();
        var i = 0;
        line = line.Trim();
        while (i < line.Length)
        {
            if (char.IsWhiteSpace(line[i])) { i++; continue; }
            if (line[i] == '"')
            {
                var end = line.IndexOf('"', i + 1);
                tokens.Add(line[(i + 1)..end]);
                i = end + 1;
            }
            else
            {
                var end = i;
                while (end < line.Length && !char.IsWhiteSpace(line[end])) end++;
                tokens.Add(line[i..end]);
                i = end;
            }
        }
        return tokens;
    }
}
