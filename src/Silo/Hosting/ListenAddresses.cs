using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Conversations.Silo.Hosting;

/// <summary>Where to listen when the operator said nothing: loopback only, so a default run exposes nothing.</summary>
internal static class ListenAddresses
{
    public const string Default = "http://127.0.0.1:5080";

    /// <summary>Keeps --urls, ASPNETCORE_URLS / DOTNET_URLS, *_HTTP_PORTS and Kestrel:Endpoints when any is set.</summary>
    public static void UseDefaultUnlessConfigured(WebApplicationBuilder builder)
    {
        var configuration = builder.Configuration;
        var configured = !string.IsNullOrWhiteSpace(configuration["urls"])
            || !string.IsNullOrWhiteSpace(configuration["http_ports"])
            || !string.IsNullOrWhiteSpace(configuration["https_ports"])
            || configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();
        if (!configured) builder.WebHost.UseUrls(Default);
    }
}
