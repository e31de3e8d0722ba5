namespace Conversations.Silo.Hosting;

/// <summary>Process-level settings, under <c>Conversations:Silo</c>.</summary>
public sealed class SiloOptions
{
    public const string Section = "Conversations:Silo";

    /// <summary>
    /// How long a stop (SIGTERM) may take: webhooks in flight are answered, turns in flight finish and
    /// committed actions are sent within it.
    /// </summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    public IEnumerable<string> Validate()
    {
        if (ShutdownTimeout <= TimeSpan.Zero || ShutdownTimeout > TimeSpan.FromHours(1))
            yield return $"{Section}:ShutdownTimeout must be between 00:00:00.001 and 01:00:00 (was {ShutdownTimeout}).";
    }
}
