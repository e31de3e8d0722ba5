using Conversations.TestSupport.Processes;
using System.Diagnostics;
using Xunit.Abstractions;

namespace Conversations.Silo.Tests;

/// <summary>
/// deploy/compose.yaml and every file under deploy/kubernetes/ validated offline by
/// deploy/validate/validate.mjs (kubernetes-models' OpenAPI schemas, the cross-manifest checks the
/// deployment relies on, dclint's Compose schema and rules). Its npm packages are installed here with
/// <c>npm ci</c> from the committed lock file when missing or older than it (nothing downloaded is committed).
/// </summary>
public sealed class DeployManifestTests(ITestOutputHelper output)
{
    private static readonly SemaphoreSlim Install = new(1, 1);

    [Fact]
    public async Task The_compose_file_and_every_kubernetes_manifest_are_valid()
    {
        var validate = await PrepareAsync();

        var (exit, text) = await RunAsync(validate, "node", ["validate.mjs"], TimeSpan.FromSeconds(30));

        output.WriteLine(text);
        Assert.True(exit == 0, $"validate.mjs exited {exit}:\n{text}");
        Assert.Contains("valid: ", text);
    }

    [Fact]
    public async Task The_validator_rejects_a_broken_manifest_and_a_broken_compose_file()
    {
        var validate = await PrepareAsync();
        var root = Path.GetFullPath(Path.Combine(validate, "..", ".."));
        var scratch = Directory.CreateTempSubdirectory("conversations-manifests-");
        try
        {
            var kubernetes = Path.Combine(scratch.FullName, "kubernetes");
            Directory.CreateDirectory(kubernetes);
            foreach (var file in Directory.GetFiles(Path.Combine(root, "deploy", "kubernetes")))
                File.Copy(file, Path.Combine(kubernetes, Path.GetFileName(file)));
            // A schema error (a string where an integer belongs) and a grace period shorter than the drain.
            var silo = Path.Combine(kubernetes, "silo.yaml");
            await File.WriteAllTextAsync(silo, (await File.ReadAllTextAsync(silo)).Replace("replicas: 2", "replicas: \"two\"", StringComparison.Ordinal));
            var gateway = Path.Combine(kubernetes, "gateway.yaml");
            await File.WriteAllTextAsync(gateway, (await File.ReadAllTextAsync(gateway)).Replace("path: /readyz", "path: /ready", StringComparison.Ordinal));
            var compose = Path.Combine(scratch.FullName, "compose.yaml");
            await File.WriteAllTextAsync(compose, (await File.ReadAllTextAsync(Path.Combine(root, "deploy", "compose.yaml")))
                .Replace("condition: service_healthy", "condition: service_up", StringComparison.Ordinal));

            var (exit, text) = await RunAsync(validate, "node", ["validate.mjs", kubernetes, compose], TimeSpan.FromSeconds(30));

            output.WriteLine(text);
            Assert.Equal(1, exit);
            Assert.Contains("/spec/replicas must be integer", text);
            Assert.Contains("readinessProbe must GET /readyz", text);
            Assert.Contains("invalid-schema", text);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>deploy/validate with its node_modules installed from package-lock.json.</summary>
    private async Task<string> PrepareAsync()
    {
        var validate = Path.Combine(RepositoryRoot(), "deploy", "validate");
        await Install.WaitAsync();
        try
        {
            var installed = Path.Combine(validate, "node_modules", ".package-lock.json");
            var lockFile = Path.Combine(validate, "package-lock.json");
            if (!File.Exists(installed) || File.GetLastWriteTimeUtc(installed) < File.GetLastWriteTimeUtc(lockFile))
            {
                var watch = Stopwatch.StartNew();
                var (exit, text) = await RunAsync(validate, "npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromSeconds(50));
                Assert.True(exit == 0, $"npm ci exited {exit}:\n{text}");
                output.WriteLine($"npm ci in {watch.Elapsed.TotalSeconds:F1} s");
            }
        }
        finally
        {
            Install.Release();
        }
        return validate;
    }

    private static Task<(int Exit, string Output)> RunAsync(string directory, string file, string[] args, TimeSpan timeout) =>
        CommandRun.RunAsync(file, args, timeout, directory);

    private static string RepositoryRoot() => CommandRun.RepositoryRoot();
}
