using Conversations.Gateway.Hosting;

namespace Conversations.Silo;

public static class Program
{
    public static Task<int> Main(string[] args) => ProcessHost.RunAsync("Conversations silo", () => SiloApp.Build(args));
}
