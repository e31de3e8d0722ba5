using System.Diagnostics;

namespace Conversations.TestSupport.Postgres;

/// <summary>
/// A PostgreSQL server of the test's own (initdb into a temporary directory, fsync off, 127.0.0.1 on
/// a random port, retried when taken), for tests that restart the server and so must not share one with other tests.
/// Runs the server as the postgres user when the tests run as root (as ./test.sh does).
/// </summary>
public sealed class PrivatePostgresServer : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string _root;
    private readonly int _port;

    private PrivatePostgresServer(string bin, string root, int port)
    {
        _bin = bin;
        _root = root;
        _port = port;
    }

    public string ConnectionString => $"Host=127.0.0.1;Port={_port};Username=postgres;Database=postgres";

    public static async Task<PrivatePostgresServer> StartAsync()
    {
        var bin = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault()
            : null;
        if (bin is null) throw new InvalidOperationException("PostgreSQL binaries not found under /usr/lib/postgresql (./test.sh installs the Debian package).");
        var root = Directory.CreateTempSubdirectory("conversations-pg-").FullName;
        await RunAsync("chown", $"postgres {root}", asPostgres: false);
        await RunAsync(Path.Combine(bin, "initdb"), $"-D {root}/data -A trust -U postgres", asPostgres: true);
        // A port below the ephemeral range (32768-60999), so no outgoing connection holds it; another
        // listener may (the shared test server draws from the same range), so a failed start tries another.
        const int attempts = 8;
        for (var attempt = 1; ; attempt++)
        {
            var server = new PrivatePostgresServer(bin, root, Random.Shared.Next(20000, 32000));
            try
            {
                await server.RunPgAsync("pg_ctl", $"-D {root}/data -w -l {root}/log -o \"{server.ServerOptions}\" start");
                return server;
            }
            catch (InvalidOperationException) when (attempt < attempts) { }
            catch (InvalidOperationException ex)
            {
                var log = File.Exists($"{root}/log") ? await File.ReadAllTextAsync($"{root}/log") : "";
                Directory.Delete(root, recursive: true);
                throw new InvalidOperationException($"PostgreSQL did not start in {attempts} attempts: {ex.Message}\n{log}", ex);
            }
        }
    }

    private string ServerOptions => $"-p {_port} -k {_root} -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off";

    /// <summary>Stops the server (fast: sessions are killed) and starts it again.</summary>
    public Task RestartAsync() => RunPgAsync("pg_ctl", $"-D {_root}/data -w -m fast -l {_root}/log -o \"{ServerOptions}\" restart");

    private Task RunPgAsync(string tool, string arguments) => RunAsync(Path.Combine(_bin, tool), arguments, asPostgres: true);

    private static async Task RunAsync(string file, string arguments, bool asPostgres)
    {
        var root = Environment.UserName == "root";
        var start = asPostgres && root
            ? new ProcessStartInfo("runuser", $"-u postgres -- {file} {arguments}")
            : new ProcessStartInfo(file, arguments);
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0) throw new InvalidOperationException($"{file} {arguments} failed ({process.ExitCode}): {await output}{await error}");
    }

    public async ValueTask DisposeAsync()
    {
        try { await RunPgAsync("pg_ctl", $"-D {_root}/data -w -m immediate stop"); }
        catch (InvalidOperationException) { }
        Directory.Delete(_root, recursive: true);
    }
}
