using Conversations.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Conversations.Gateway.Hosting;

/// <summary>
/// Runs an executable's web application and turns its end into an exit code: 0 after a clean stop
/// (SIGTERM, Ctrl+C), 2 when the configuration is invalid (the message names the key), 1 when the host failed.
/// </summary>
public static class ProcessHost
{
    public const int Stopped = 0;
    public const int Failed = 1;
    public const int InvalidConfiguration = 2;

    /// <summary>Set once this process's host (started by <see cref="RunAsync"/>) is up: the start-up log filter then lets everything through.</summary>
    private static volatile bool s_started;

    /// <summary>
    /// A builder configured the way both executables start: appsettings.json from next to the binary
    /// (wherever the process is started from), and <paramref name="defaultUrl"/> unless an address is configured.
    /// </summary>
    public static WebApplicationBuilder CreateBuilder(string[] args, string defaultUrl)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory });
        ListenAddresses.UseDefaultUnlessConfigured(builder, defaultUrl);
        // A failed start is said in one line by RunAsync; the host's own "failed to start" entry would add its stack trace.
        // Only until the host has started: after that this category reports failing background services and stops.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", level => s_started || level >= LogLevel.Critical);
        BusyPorts.ThrowIfAnyBusy(BusyPorts.FromUrls(builder.WebHost.GetSetting(WebHostDefaults.ServerUrlsKey)));
        return builder;
    }

    public static async Task<int> RunAsync(string name, Func<WebApplication> build)
    {
        WebApplication app;
        try
        {
            app = build();
        }
        catch (Exception ex) when (ex is InvalidOperationException or OptionsValidationException or StartupProblemException)
        {
            await Console.Error.WriteLineAsync($"{name}: {ex.Message}");
            return InvalidConfiguration;
        }

        await using (app)
        {
            try
            {
                await app.StartAsync();
                s_started = true;
                await app.WaitForShutdownAsync();
                return Stopped;
            }
            catch (Exception ex) when (ex is OptionsValidationException or StartupProblemException)
            {
                await Console.Error.WriteLineAsync($"{name}: {ex.Message}");
                return InvalidConfiguration;
            }
            catch (IOException ex) when (ex.InnerException is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse })
            {
                await Console.Error.WriteLineAsync($"{name}: cannot listen: {ex.Message} (another process holds the port; change --urls)");
                return Failed;
            }
            catch (Exception ex)
            {
                await Console.Error.WriteLineAsync($"{name} stopped on an error: {ex.GetType().Name}: {ex.Message}");
                return Failed;
            }
        }
    }
}
