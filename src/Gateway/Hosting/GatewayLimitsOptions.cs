using Microsoft.Extensions.Options;

namespace Conversations.Gateway.Hosting;

/// <summary>
/// What one sender, honest or not, may hold of the process, bound from <c>Conversations:Gateway:Limits</c>:
/// Kestrel's connection and timing limits, a deadline per webhook request, and how many webhook
/// requests run at once per tenant and in all. A webhook body is buffered whole (signatures are over
/// the raw bytes), so the concurrency limits times MaxBodyBytes bound the memory bodies can take.
/// </summary>
public sealed class GatewayLimitsOptions
{
    public const string Section = "Conversations:Gateway:Limits";

    /// <summary>Kestrel: open connections beyond this are closed at once (idle keep-alive ones count).</summary>
    public long MaxConcurrentConnections { get; set; } = 4096;

    /// <summary>Kestrel: bytes read from a connection ahead of the application (its default is 1 MiB per connection); at least 32 KiB, its headers limit.</summary>
    public long MaxRequestBufferBytes { get; set; } = 64 * 1024;

    /// <summary>Kestrel: time to receive the request line and headers.</summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Kestrel: how long an idle connection stays open for the next request.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Kestrel: a body slower than this on average, after the grace period, is cut with 408.</summary>
    public double MinRequestBodyBytesPerSecond { get; set; } = 1024;

    public TimeSpan MinRequestBodyGracePeriod { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The whole time a webhook may take, from its headers to being authenticated and parsed (waiting for a
    /// concurrency slot included). Kestrel's body rate is an average, so a sender that sends most of a
    /// body fast and then stalls would keep its connection and buffer for an hour without this.
    /// </summary>
    public TimeSpan WebhookDeadline { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Webhook requests of one tenant in progress at once; more wait in its queue.</summary>
    public int MaxConcurrentWebhooksPerTenant { get; set; } = 64;

    /// <summary>Webhook requests of one tenant waiting for a slot; beyond that: 429 (both platforms retry it).</summary>
    public int MaxQueuedWebhooksPerTenant { get; set; } = 256;

    /// <summary>Webhook requests in progress at once, all tenants together.</summary>
    public int MaxConcurrentWebhooks { get; set; } = 256;

    /// <summary>Webhook requests waiting for a slot, all tenants together; beyond that: 429.</summary>
    public int MaxQueuedWebhooks { get; set; } = 1024;
}

internal sealed class GatewayLimitsOptionsValidator : IValidateOptions<GatewayLimitsOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayLimitsOptions options)
    {
        var problems = new List<string>();
        void Positive(string key, TimeSpan value)
        {
            if (value <= TimeSpan.Zero) problems.Add($"{GatewayLimitsOptions.Section}:{key} must be a positive time span such as 00:00:10 (was {value}).");
        }
        void AtLeast(string key, long value, long min)
        {
            if (value < min) problems.Add($"{GatewayLimitsOptions.Section}:{key} must be at least {min} (was {value}).");
        }

        AtLeast(nameof(options.MaxConcurrentConnections), options.MaxConcurrentConnections, 1);
        // Kestrel refuses less than its request line and headers limit (32 KiB): the head must fit before the app sees anything.
        AtLeast(nameof(options.MaxRequestBufferBytes), options.MaxRequestBufferBytes, 32 * 1024);
        Positive(nameof(options.RequestHeadersTimeout), options.RequestHeadersTimeout);
        Positive(nameof(options.KeepAliveTimeout), options.KeepAliveTimeout);
        if (!(options.MinRequestBodyBytesPerSecond > 0) || double.IsInfinity(options.MinRequestBodyBytesPerSecond))
            problems.Add($"{GatewayLimitsOptions.Section}:MinRequestBodyBytesPerSecond must be a positive number (was {options.MinRequestBodyBytesPerSecond}).");
        // Kestrel refuses a grace period under one second.
        if (options.MinRequestBodyGracePeriod < TimeSpan.FromSeconds(1))
            problems.Add($"{GatewayLimitsOptions.Section}:MinRequestBodyGracePeriod must be at least 00:00:01 (was {options.MinRequestBodyGracePeriod}).");
        Positive(nameof(options.WebhookDeadline), options.WebhookDeadline);
        AtLeast(nameof(options.MaxConcurrentWebhooksPerTenant), options.MaxConcurrentWebhooksPerTenant, 1);
        AtLeast(nameof(options.MaxQueuedWebhooksPerTenant), options.MaxQueuedWebhooksPerTenant, 0);
        AtLeast(nameof(options.MaxConcurrentWebhooks), options.MaxConcurrentWebhooks, 1);
        AtLeast(nameof(options.MaxQueuedWebhooks), options.MaxQueuedWebhooks, 0);
        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
