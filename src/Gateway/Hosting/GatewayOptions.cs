using Microsoft.Extensions.Options;

namespace Conversations.Gateway.Hosting;

/// <summary>Settings of the HTTP ingress, bound from <c>Conversations:Gateway</c>.</summary>
public sealed class GatewayOptions
{
    public const string Section = "Conversations:Gateway";

    /// <summary>Mount the webhook and admin endpoints (a silo can run without them; health endpoints stay).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Largest webhook body accepted; larger requests get 413 before anything is parsed.</summary>
    public long MaxBodyBytes { get; set; } = 1024 * 1024;
}

internal sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    // Bodies are buffered in memory to verify signatures over the raw bytes, so the limit bounds memory per request.
    private const long Ceiling = 64L * 1024 * 1024;

    public ValidateOptionsResult Validate(string? name, GatewayOptions options) =>
        options.MaxBodyBytes is < 1 or > Ceiling
            ? ValidateOptionsResult.Fail($"{GatewayOptions.Section}:MaxBodyBytes must be between 1 and {Ceiling} (was {options.MaxBodyBytes}).")
            : ValidateOptionsResult.Success;
}
