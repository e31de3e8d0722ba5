using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using Xunit;

namespace Conversations.TestSupport.Processes;

/// <summary>
/// A real executable of the solution (silo or gateway) in its own process, listening on a loopback
/// port the process binds itself (<c>--urls http://127.0.0.1:0</c>, so no port picked here can be taken
/// in between), read from its "Now listening on:" log line; its output is captured for failure messages.
/// </summary>
public sealed class ServiceProcess : IDisposable
{
    private const string ListeningLine = "Now listening on: ";

    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _address = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ServiceProcess(string name, Process process)
    {
        Name = name;
        _process = process;
    }

    public string Name { get; }

    /// <summary>The address the process listens on, known once it logged it (<see cref="WaitHealthyAsync"/> waits for it).</summary>
    public Uri Address => _address.Task.IsCompletedSuccessfully
        ? _address.Task.Result
        : throw new InvalidOperationException($"{Name} has not reported its listening address yet; call WaitHealthyAsync first.");
    public int Id => _process.Id;
    public bool HasExited => _process.HasExited;
    public int ExitCode => _process.ExitCode;

    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    /// <summary>The silo with <paramref name="args"/> after <c>--urls</c>.</summary>
    public static ServiceProcess StartSilo(params string[] args) => Start("silo", "Silo", args);

    /// <param name="project">"Silo" or "Gateway": runs src/{project}'s build output.</param>
    public static ServiceProcess Start(string name, string project, IEnumerable<string> args) => StartDll(name, Dll(project), project == "Silo", args);

    /// <summary>A silo or gateway build given by its path (the benchmarks compare another checkout's build).</summary>
    /// <param name="silo">Gives it Orleans ports of its own unless <paramref name="args"/> chose them.</param>
    public static ServiceProcess StartDll(string name, string dll, bool silo, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(dll);
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add("http://127.0.0.1:0");
        // The "Now listening on:" line, whatever level the test sets for the rest.
        start.ArgumentList.Add("--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information");
        var given = args.ToList();
        // Each silo its own Orleans ports unless the test chose them.
        if (silo && !given.Any(a => a.StartsWith("--Orleans:Endpoints:SiloPort=", StringComparison.Ordinal)))
            given.AddRange(Network.OrleansTestPorts.SiloArgs());
        foreach (var arg in given) start.ArgumentList.Add(arg);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        // Plain console lines (no colour codes) to parse.
        start.Environment["DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION"] = "0";
        var process = new Process { StartInfo = start };
        var started = new ServiceProcess(name, process);
        process.OutputDataReceived += (_, e) => started.Append(e.Data);
        process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return started;
    }

    /// <summary>Waits until <c>/healthz</c> answers 200; fails with the process's output if it exits or takes too long.</summary>
    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited) throw new InvalidOperationException($"{Name} exited with {_process.ExitCode} before it was healthy:\n{Output}");
            if (!_address.Task.IsCompleted)
            {
                await Task.Delay(100);
                continue;
            }
            http.BaseAddress ??= Address;
            try
            {
                using var response = await http.GetAsync("/healthz");
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException) { }
            catch (TaskCanceledException) { }
            await Task.Delay(100);
        }
        throw new TimeoutException($"{Name} was not healthy within {timeout}:\n{Output}");
    }

    /// <summary>SIGTERM, as an orchestrator stops a container (Process.Kill would be SIGKILL).</summary>
    public async Task TerminateAsync()
    {
        using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", Id.ToString(CultureInfo.InvariantCulture) }, UseShellExecute = false })!;
        await kill.WaitForExitAsync();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>kill -9: no drain, no release.</summary>
    public void Kill() => _process.Kill(entireProcessTree: true);

    /// <summary>SIGSTOP (a hung process: its sockets stay open, it answers nothing) or SIGCONT.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>The exit code, or null when the process is still running after <paramref name="timeout"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
        // "      Now listening on: http://127.0.0.1:41234" (the console logger's message line).
        var at = line.IndexOf(ListeningLine, StringComparison.Ordinal);
        if (at >= 0 && Uri.TryCreate(line[(at + ListeningLine.Length)..].Trim(), UriKind.Absolute, out var address))
            _address.TrySetResult(address);
    }

    /// <summary>src/{project}'s build output in this test run's configuration; the copy next to the tests otherwise.</summary>
    private static string Dll(string project)
    {
        var configuration = typeof(ServiceProcess).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Debug";
        var name = $"Conversations.{project}.dll";
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (!File.Exists(Path.Combine(dir.FullName, "Conversations.sln"))) continue;
            var built = Path.Combine(dir.FullName, "src", project, "bin", configuration, "net10.0", name);
            if (File.Exists(built)) return built;
            break;
        }
        var beside = Path.Combine(AppContext.BaseDirectory, name);
        if (File.Exists(beside)) return beside;
        throw new FileNotFoundException($"{name} not found: build src/{project} in the tests' configuration ({configuration}).");
    }
}
