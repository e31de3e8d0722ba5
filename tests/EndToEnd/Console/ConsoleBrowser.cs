using Microsoft.Playwright;

namespace Conversations.EndToEnd.Console;

/// <summary>
/// Debian's Chromium driven by Playwright's driver (shipped in the Microsoft.Playwright package and
/// copied into the build output): no browser download. A missing Chromium fails the test, naming the
/// package to install, rather than skipping it.
/// </summary>
public static class ConsoleBrowser
{
    /// <summary>Overrides the Chromium binary (default <c>/usr/bin/chromium</c>, Debian's package).</summary>
    public const string ChromiumVariable = "CONVERSATIONS_TEST_CHROMIUM";
    public const string DefaultChromium = "/usr/bin/chromium";

    public static string ChromiumPath()
    {
        var path = Environment.GetEnvironmentVariable(ChromiumVariable) is { Length: > 0 } configured ? configured : DefaultChromium;
        if (!File.Exists(path))
            Assert.Fail($"Chromium was not found at {path}: the console's browser test needs Debian's chromium " +
                $"(apt-get install -y --no-install-recommends chromium; .ci/run installs it) or {ChromiumVariable} naming another Chromium binary.");
        return path;
    }

    /// <param name="chromium">From <see cref="ChromiumPath"/>, asked first so a missing browser fails before anything starts.</param>
    public static async Task<IBrowser> LaunchAsync(IPlaywright playwright, string chromium) =>
        await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = chromium,
            Headless = true,
            // Containers often have a small /dev/shm; the GPU is never there.
            Args = ["--disable-dev-shm-usage", "--disable-gpu"],
        });

    /// <summary>
    /// Where screenshots go: <c>.test-results/console/</c> at the repository root (test.sh makes
    /// <c>.test-results</c> afresh on every run; it is git-ignored).
    /// </summary>
    public static string ArtifactsDirectory()
    {
        var artifacts = Path.Combine(Conversations.TestSupport.Processes.CommandRun.RepositoryRoot(), ".test-results", "console");
        Directory.CreateDirectory(artifacts);
        return artifacts;
    }
}
