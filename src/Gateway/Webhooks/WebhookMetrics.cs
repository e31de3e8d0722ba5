using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace Conversations.Gateway.Webhooks;

/// <summary>
/// Webhooks counted by platform, tenant and outcome on the <c>Conversations.Gateway</c> meter.
/// Platform and tenant are only the configured ones, so a scan of random URLs cannot blow up cardinality.
/// </summary>
public sealed class WebhookMetrics
{
    public const string MeterName = "Conversations.Gateway";
    public const string Unknown = "(unknown)";

    private readonly Counter<long> _webhooks;
    private readonly Counter<long> _events;
    private readonly Histogram<double> _duration;

    public WebhookMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _webhooks = meter.CreateCounter<long>("conversations.gateway.webhooks", "{request}", "Webhook requests by platform, tenant and outcome.");
        _events = meter.CreateCounter<long>("conversations.gateway.events", "{event}", "Events appended to inboxes (outcome appended or duplicate).");
        _duration = meter.CreateHistogram<double>("conversations.gateway.webhook.duration", "ms", "Time from request to answer, appends included.");
    }

    public void Record(string platform, string tenant, WebhookOutcome outcome, TimeSpan elapsed)
    {
        var tags = new TagList { { "platform", platform }, { "tenant", tenant }, { "outcome", OutcomeName(outcome) } };
        _webhooks.Add(1, tags);
        _duration.Record(elapsed.TotalMilliseconds, tags);
    }

    public void RecordEvents(string platform, string tenant, int appended, int duplicates)
    {
        if (appended > 0) _events.Add(appended, new TagList { { "platform", platform }, { "tenant", tenant }, { "outcome", "appended" } });
        if (duplicates > 0) _events.Add(duplicates, new TagList { { "platform", platform }, { "tenant", tenant }, { "outcome", "duplicate" } });
    }

    /// <summary>The tags of a webhook request that did not reach the endpoint (throttled, timed out in the queue): configured tenants only.</summary>
    public static (string Platform, string Tenant) TagsOf(HttpContext context)
    {
        var tenant = context.GetRouteValue("tenant") is string id ? context.RequestServices.GetRequiredService<TenantCatalog>().Find(id) : null;
        return tenant is null ? (Unknown, Unknown) : (tenant.Platform.ToString().ToLowerInvariant(), tenant.Id);
    }

    public static string OutcomeName(WebhookOutcome outcome) => outcome switch
    {
        WebhookOutcome.Accepted => "accepted",
        WebhookOutcome.Answered => "answered",
        WebhookOutcome.Rejected => "rejected",
        WebhookOutcome.NotFound => "not_found",
        WebhookOutcome.TooLarge => "too_large",
        WebhookOutcome.Malformed => "malformed",
        WebhookOutcome.StoreFailed => "store_failed",
        WebhookOutcome.HandlerFailed => "handler_failed",
        WebhookOutcome.Stopping => "stopping",
        WebhookOutcome.ClientGone => "client_gone",
        WebhookOutcome.TimedOut => "timed_out",
        WebhookOutcome.Throttled => "throttled",
        _ => "other",
    };
}

/// <summary>How one webhook request ended.</summary>
public enum WebhookOutcome
{
    /// <summary>Events appended (or none to append) and 2xx answered.</summary>
    Accepted,
    /// <summary>A text answer (the Engage handshake challenge).</summary>
    Answered,
    /// <summary>The handler refused it (bad signature, bad handshake...).</summary>
    Rejected,
    NotFound,
    TooLarge,
    Malformed,
    StoreFailed,
    HandlerFailed,
    Stopping,
    ClientGone,
    /// <summary>Not received, authenticated and parsed within Limits:WebhookDeadline.</summary>
    TimedOut,
    /// <summary>Over the tenant's or the process's concurrent webhook limit and queue: 429.</summary>
    Throttled,
}
