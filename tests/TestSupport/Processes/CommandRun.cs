using System.Diagnostics;

namespace Conversations.TestSupport.Processes;

/// <summary>Runs a command to its end (killed after a timeout) and returns its exit code and output; finds the repository.</summary>
public static class CommandRun
{
    /// <returns>The exit code (-1 when it was killed at the timeout) and stdout followed by stderr.</returns>
    public static async Task<(int Exit, string Output)> RunAsync(string file, IEnumerable<string> args, TimeSpan timeout,
        string? directory = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (directory is not null) start.WorkingDirectory = directory;
        var arguments = args.ToList();
        foreach (var arg in arguments) start.ArgumentList.Add(arg);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["NO_COLOR"] = "1";
        start.Environment["npm_config_update_notifier"] = "false";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>()) start.Environment[key] = value;
        using var process = Process.Start(start)!;
        // Background processes a script starts inherit its pipes only until they redirect to their logs.
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try { await process.WaitForExitAsync(cts.Token); }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, $"{file} {string.Join(' ', arguments)} did not finish within {timeout}:\n{await stdout}{await stderr}");
        }
        return (process.ExitCode, await stdout + await stderr);
    }

    /// <summary>The folder holding Conversations.sln, above the test's output.</summary>
    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Conversations.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Conversations.sln not found above " + AppContext.BaseDirectory);
    }
}
