using Conversations.Gateway.Hosting;

namespace Conversations.Gateway;

public static class Program
{
    public static Task<int> Main(string[] args) => ProcessHost.RunAsync("Conversations gateway", () => GatewayApp.Build(args));
}
