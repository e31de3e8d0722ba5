using Microsoft.Extensions.Options;

namespace Conversations.Silo;

public static class Program
{
    /// <summary>0 after a clean stop (SIGTERM, Ctrl+C); 2 when the configuration is invalid; 1 when the host failed.</summary>
    public static async Task<int> Main(string[] args)
    {
        Microsoft.AspNetCore.Builder.WebApplication app;
        try
        {
            app = SiloApp.Build(args);
        }
        catch (Exception ex) when (ex is InvalidOperationException or OptionsValidationException or FormatException)
        {
            await Console.Error.WriteLineAsync($"Conversations silo: {ex.Message}");
            return 2;
        }

        await using (app)
        {
            try
            {
                await app.RunAsync();
                return 0;
            }
            catch (OptionsValidationException ex)
            {
                await Console.Error.WriteLineAsync($"Conversations silo: {ex.Message}");
                return 2;
            }
            catch (Exception ex)
            {
                await Console.Error.WriteLineAsync($"Conversations silo stopped on an error: {ex.GetType().Name}: {ex.Message}");
                return 1;
            }
        }
    }
}
