using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;

namespace Conversations.Gateway.Hosting;

/// <summary>Where to listen when the operator said nothing: loopback only, so a default run exposes nothing.</summary>
public static class ListenAddresses
{
    /// <summary>Uses <paramref name="defaultUrl"/> unless --urls, ASPNETCORE_URLS / DOTNET_URLS, *_HTTP_PORTS or Kestrel:Endpoints say otherwise.</summary>
    public static void UseDefaultUnlessConfigured(WebApplicationBuilder builder, string defaultUrl)
    {
        var configuration = builder.Configuration;
        var configured = !string.IsNullOrWhiteSpace(configuration["urls"])
            || !string.IsNullOrWhiteSpace(configuration["http_ports"])
            || !string.IsNullOrWhiteSpace(configuration["https_ports"])
            || configuration.GetSection("Kestrel:Endpoints").GetChildren().Any();
        if (!configured) builder.WebHost.UseUrls(defaultUrl);
    }
}
