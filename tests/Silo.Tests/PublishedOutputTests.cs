using Conversations.TestSupport.Processes;
using System.Diagnostics;
using System.Text;
using Conversations.TestSupport.Network;
using Xunit.Abstractions;

namespace Conversations.Silo.Tests;

/// <summary>
/// The container build (deploy/Dockerfile) without a container engine: publish the silo with the
/// Dockerfile's command, run the published output on its own (not the build output the other tests
/// run), and check it answers <c>/readyz</c>, also through the image's health check script.
/// </summary>
public sealed class PublishedOutputTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _publishDir = Path.Combine(Path.GetTempPath(), "conversations-publish-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task The_silo_published_as_the_container_build_does_starts_and_answers_readyz()
    {
        var root = RepositoryRoot();
        // Keep in step with deploy/Dockerfile's "RUN dotnet publish src/Silo -c Release -o /app -nologo".
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(root, "deploy", "Dockerfile"));
        Assert.Contains("RUN dotnet publish src/Silo -c Release -o /app -nologo", dockerfile);

        var watch = Stopwatch.StartNew();
        var (publishExit, publishOutput) = await RunAsync(root, "dotnet", ["publish", "src/Silo", "-c", "Release", "-o", _publishDir, "-nologo"], TimeSpan.FromSeconds(45));
        Assert.True(publishExit == 0, $"dotnet publish exited {publishExit}:\n{publishOutput}");
        output.WriteLine($"published in {watch.Elapsed.TotalSeconds:F1} s");
        Assert.True(File.Exists(Path.Combine(_publishDir, "Conversations.Silo.dll")), "no Conversations.Silo.dll in the published output");
        Assert.True(File.Exists(Path.Combine(_publishDir, "appsettings.json")), "no appsettings.json in the published output");

        // As the image's entry point runs it (WORKDIR /app, dotnet /app/Conversations.Silo.dll), on ports of its own.
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = _publishDir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[]
                 {
                     Path.Combine(_publishDir, "Conversations.Silo.dll"), "--urls", "http://127.0.0.1:0",
                     "--Logging:LogLevel:Microsoft.Hosting.Lifetime=Information",
                     $"--Orleans:Endpoints:SiloPort={OrleansTestPorts.Next()}", $"--Orleans:Endpoints:GatewayPort={OrleansTestPorts.Next()}",
                 })
            start.ArgumentList.Add(arg);
        start.Environment["DOTNET_SYSTEM_CONSOLE_ALLOW_ANSI_COLOR_REDIRECTION"] = "0";
        using var silo = new Process { StartInfo = start };
        var log = new StringBuilder();
        var address = new TaskCompletionSource<Uri>(TaskCreationOptions.RunContinuationsAsynchronously);
        void Line(string? line)
        {
            if (line is null) return;
            lock (log) log.AppendLine(line);
            const string listening = "Now listening on: ";
            var at = line.IndexOf(listening, StringComparison.Ordinal);
            if (at >= 0 && Uri.TryCreate(line[(at + listening.Length)..].Trim(), UriKind.Absolute, out var uri)) address.TrySetResult(uri);
        }
        silo.OutputDataReceived += (_, e) => Line(e.Data);
        silo.ErrorDataReceived += (_, e) => Line(e.Data);
        silo.Start();
        silo.BeginOutputReadLine();
        silo.BeginErrorReadLine();
        string Log() { lock (log) return log.ToString(); }
        try
        {
            var listeningAt = await address.Task.WaitAsync(TimeSpan.FromSeconds(30));
            using var http = new HttpClient { BaseAddress = listeningAt, Timeout = TimeSpan.FromSeconds(2) };
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            int status = 0;
            while (DateTime.UtcNow < deadline)
            {
                Assert.False(silo.HasExited, $"the published silo exited:\n{Log()}");
                try
                {
                    using var ready = await http.GetAsync("/readyz");
                    status = (int)ready.StatusCode;
                    if (status == 200) break;
                }
                catch (HttpRequestException) { }
                catch (TaskCanceledException) { }
                await Task.Delay(100);
            }
            Assert.True(status == 200, $"/readyz answered {status}:\n{Log()}");
            output.WriteLine($"/readyz 200 after {watch.Elapsed.TotalSeconds:F1} s");

            // The image's HEALTHCHECK command and the probes' paths, against the published silo.
            var script = Path.Combine(root, "deploy", "healthcheck.sh");
            var port = listeningAt.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            Assert.Equal(0, (await RunAsync(root, "bash", [script, "/healthz", port], TimeSpan.FromSeconds(10))).Exit);
            Assert.Equal(0, (await RunAsync(root, "bash", [script, "/readyz", port], TimeSpan.FromSeconds(10))).Exit);
            var missing = await RunAsync(root, "bash", [script, "/no-such-path", port], TimeSpan.FromSeconds(10));
            Assert.True(missing.Exit == 1, $"healthcheck of a 404 path exited {missing.Exit}: {missing.Output}");

            // The container stop: SIGTERM, exit 0.
            using (var term = Process.Start("kill", ["-TERM", silo.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])) await term.WaitForExitAsync();
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await silo.WaitForExitAsync(stop.Token);
            Assert.True(silo.ExitCode == 0, $"the published silo exited {silo.ExitCode} on SIGTERM:\n{Log()}");
        }
        catch
        {
            output.WriteLine(Log());
            throw;
        }
        finally
        {
            if (!silo.HasExited) silo.Kill(entireProcessTree: true);
        }
    }

    public void Dispose()
    {
        try { Directory.Delete(_publishDir, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    private static Task<(int Exit, string Output)> RunAsync(string directory, string file, string[] args, TimeSpan timeout) =>
        CommandRun.RunAsync(file, args, timeout, directory);

    private static string RepositoryRoot() => CommandRun.RepositoryRoot();
}
