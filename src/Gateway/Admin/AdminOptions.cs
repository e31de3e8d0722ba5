using Microsoft.Extensions.Options;

namespace Conversations.Gateway.Admin;

/// <summary>The admin API's settings, bound from <c>Conversations:Admin</c>. No token: the admin API is disabled.</summary>
public sealed class AdminOptions
{
    public const string Section = "Conversations:Admin";

    /// <summary>Bearer token required on every /admin request.</summary>
    public string? Token { get; set; }
}

internal sealed class AdminOptionsValidator : IValidateOptions<AdminOptions>
{
    public ValidateOptionsResult Validate(string? name, AdminOptions options) =>
        options.Token is not null && options.Token.Length > 0 && string.IsNullOrWhiteSpace(options.Token)
            ? ValidateOptionsResult.Fail($"{AdminOptions.Section}:Token must not be blank (leave it unset to disable the admin API).")
            : ValidateOptionsResult.Success;
}
