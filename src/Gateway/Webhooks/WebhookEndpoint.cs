using System.Diagnostics;
using Conversations.Gateway.Hosting;
using Conversations.Gateway.Cluster;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Timeouts;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Conversations.Gateway.Webhooks;

/// <summary>
/// <c>GET|POST /webhooks/{platform}/{tenant}</c>: find the tenant and its platform's handler, read the
/// body within the limit, let the handler authenticate and normalize it, append the events per
/// conversation, and answer only once every append has committed.
/// </summary>
internal sealed class WebhookEndpoint(
    TenantCatalog tenants,
    WebhookHandlers handlers,
    InboxDelivery cluster,
    IOptions<GatewayOptions> options,
    IOptions<GatewayLimitsOptions> limits,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    WebhookMetrics metrics,
    GatewayLog log)
{
    public async Task HandleAsync(HttpContext context, string platformSegment, string tenantSegment)
    {
        var started = time.GetTimestamp();
        var (platformTag, tenantTag) = (WebhookMetrics.Unknown, WebhookMetrics.Unknown);
        var outcome = WebhookOutcome.NotFound;
        try
        {
            if (!WebhookHandlers.TryParsePlatform(platformSegment, out var platform))
            {
                outcome = await RefuseAsync(context, StatusCodes.Status404NotFound, "unknown platform", platformTag, tenantTag, WebhookOutcome.NotFound);
                return;
            }
            platformTag = platform.ToString().ToLowerInvariant();

            var tenant = tenants.Find(tenantSegment);
            if (tenant is null || tenant.Platform != platform)
            {
                outcome = await RefuseAsync(context, StatusCodes.Status404NotFound, "unknown tenant", platformTag, tenantTag, WebhookOutcome.NotFound);
                return;
            }
            tenantTag = tenant.Id;

            var handler = handlers.Find(platform);
            if (handler is null)
            {
                outcome = await RefuseAsync(context, StatusCodes.Status404NotFound, "platform not served here", platformTag, tenantTag, WebhookOutcome.NotFound);
                return;
            }

            outcome = await ProcessAsync(context, handler, tenant, platformTag);
        }
        finally
        {
            metrics.Record(platformTag, tenantTag, outcome, time.GetElapsedTime(started));
        }
    }

    private async Task<WebhookOutcome> ProcessAsync(HttpContext context, IWebhookHandler handler, TenantOptions tenant, string platformTag)
    {
        var aborted = context.RequestAborted;
        // Set by the request-timeouts middleware (Limits:WebhookDeadline); absent where it does not run.
        var deadline = context.Features.Get<IHttpRequestTimeoutFeature>();
        if (lifetime.ApplicationStopping.IsCancellationRequested)
        {
            // Stop taking work first: what is accepted now might not be processed before the runtime stops.
            log.WebhookWhileStopping(platformTag, tenant.Id);
            context.Response.Headers.RetryAfter = "5";
            return await AnswerErrorAsync(context, StatusCodes.Status500InternalServerError, "stopping", WebhookOutcome.Stopping);
        }

        var receivedAt = time.GetUtcNow();
        if (handler.Screen(new WebhookRequestHead(context.Request.Method, context.Request.Query, context.Request.Headers, receivedAt), tenant) is { } refusal)
            return await RefuseAsync(context, refusal.StatusCode, refusal.Error ?? "refused", platformTag, tenant.Id, WebhookOutcome.Rejected);

        var limit = options.Value.MaxBodyBytes;
        var bodyRead = false;
        WebhookVerdict verdict;
        try
        {
            var body = await WebhookBodyReader.ReadAsync(context.Request, limit, aborted);
            if (body is null)
            {
                log.WebhookTooLarge(platformTag, tenant.Id, limit);
                // The rest of the body is unread: close rather than let the server drain it for keep-alive.
                context.Response.Headers.Connection = "close";
                return await AnswerErrorAsync(context, StatusCodes.Status413PayloadTooLarge, $"body over {limit} bytes", WebhookOutcome.TooLarge);
            }
            bodyRead = true;

            var request = new WebhookRequest(context.Request.Method, context.Request.Query, context.Request.Headers, body.Value, receivedAt);
            verdict = await handler.HandleAsync(request, tenant, aborted);
        }
        catch (OperationCanceledException) when (deadline is { RequestTimeoutToken.IsCancellationRequested: true })
        {
            return await AnswerDeadlineAsync(context, platformTag, tenant.Id, bodyRead);
        }
        catch (OperationCanceledException) when (aborted.IsCancellationRequested)
        {
            log.ClientDisconnected(platformTag, tenant.Id);
            return WebhookOutcome.ClientGone;
        }
        catch (Exception ex) when (MalformedInput.Is(ex))
        {
            log.WebhookMalformed(platformTag, tenant.Id, ex.GetType().Name);
            return await AnswerErrorAsync(context, StatusCodes.Status400BadRequest, "malformed request", WebhookOutcome.Malformed);
        }
        catch (Exception ex)
        {
            // Includes a handler's own timeouts: nothing was stored, so 500 lets the platform retry.
            log.HandlerFailed(ex, platformTag, tenant.Id);
            return await AnswerErrorAsync(context, StatusCodes.Status500InternalServerError, "could not process the event", WebhookOutcome.HandlerFailed);
        }

        // Received, authenticated and parsed: the deadline was for what might not be authentic. The appends are
        // bounded by the store's own timeouts, and cancelling one midway would answer an error for stored events.
        deadline?.DisableTimeout();
        if (deadline is { RequestTimeoutToken.IsCancellationRequested: true }) return await AnswerDeadlineAsync(context, platformTag, tenant.Id, bodyRead: true);

        var (appended, duplicates, conversations) = (0, 0, 0);
        foreach (var (key, messages) in DeliveryBatches.Group(verdict.Deliveries))
        {
            if (key.Tenant != tenant.Id)
            {
                // A handler addressing another tenant's conversation is a bug; storing it would cross tenants.
                log.HandlerFailed(new InvalidOperationException($"{handler.GetType().Name} addressed {key} from tenant {tenant.Id}."), platformTag, tenant.Id);
                return await AnswerErrorAsync(context, StatusCodes.Status500InternalServerError, "could not process the event", WebhookOutcome.HandlerFailed);
            }

            try
            {
                // Not the request's token: once an append starts, let it commit even if the platform hangs up.
                var result = await cluster.DeliverAsync(key, messages, CancellationToken.None);
                (appended, duplicates, conversations) = (appended + result.Appended, duplicates + result.Duplicates, conversations + 1);
            }
            catch (Exception ex)
            {
                log.AppendFailed(ex, key);
                metrics.RecordEvents(platformTag, tenant.Id, appended, duplicates);
                return await AnswerErrorAsync(context, StatusCodes.Status500InternalServerError, "could not store the event", WebhookOutcome.StoreFailed);
            }
        }
        metrics.RecordEvents(platformTag, tenant.Id, appended, duplicates);

        return await AnswerVerdictAsync(context, verdict, platformTag, tenant.Id, appended, duplicates, conversations);
    }

    private async Task<WebhookOutcome> AnswerVerdictAsync(HttpContext context, WebhookVerdict verdict, string platformTag, string tenantId, int appended, int duplicates, int conversations)
    {
        var status = verdict.StatusCode;
        if (status is < 200 or > 299)
        {
            var reason = verdict.Error ?? (ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "rejected");
            log.WebhookRejected(platformTag, tenantId, status, reason);
            return await AnswerErrorAsync(context, status, reason, WebhookOutcome.Rejected);
        }

        log.WebhookStored(platformTag, tenantId, status, appended, duplicates, conversations);
        context.Response.StatusCode = status;
        if (verdict.ResponseText is { } text)
        {
            context.Response.ContentType = "text/plain; charset=utf-8";
            // The text is the sender's (Engage's hub.challenge): never let a browser read it as HTML.
            context.Response.Headers.XContentTypeOptions = "nosniff";
            await context.Response.WriteAsync(text, context.RequestAborted);
            return WebhookOutcome.Answered;
        }

        await context.Response.WriteAsJsonAsync(new WebhookAcknowledgement(appended, duplicates), GatewayJsonContext.Default.WebhookAcknowledgement, contentType: null, context.RequestAborted);
        return WebhookOutcome.Accepted;
    }

    /// <summary>
    /// The deadline passed: a body still arriving gets 408, a slow handler (its store reads) 500, which the
    /// platform retries; nothing was stored, the body's buffer goes back, and the connection is closed after the answer.
    /// </summary>
    private async Task<WebhookOutcome> AnswerDeadlineAsync(HttpContext context, string platformTag, string tenantId, bool bodyRead)
    {
        var status = bodyRead ? StatusCodes.Status500InternalServerError : StatusCodes.Status408RequestTimeout;
        log.WebhookTimedOut(platformTag, tenantId, limits.Value.WebhookDeadline, bodyRead ? "processing" : "receiving the body", status);
        await GatewayLimits.AnswerAndCloseAsync(context, status, bodyRead ? "not processed within the deadline" : "body not received within the deadline");
        return WebhookOutcome.TimedOut;
    }

    private async Task<WebhookOutcome> RefuseAsync(HttpContext context, int status, string reason, string platformTag, string tenantTag, WebhookOutcome outcome)
    {
        log.WebhookRejected(platformTag, tenantTag, status, reason);
        // Nothing of the body was read (and nothing will be): close instead of waiting for it to keep the connection.
        context.Response.Headers.Connection = "close";
        return await AnswerErrorAsync(context, status, reason, outcome);
    }

    private static async Task<WebhookOutcome> AnswerErrorAsync(HttpContext context, int status, string reason, WebhookOutcome outcome)
    {
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(new ErrorResponse(reason), GatewayJsonContext.Default.ErrorResponse, contentType: null, context.RequestAborted);
        return outcome;
    }
}

/// <summary>The JSON answer to an accepted webhook: <c>{"accepted":N,"duplicates":M}</c>.</summary>
public sealed record WebhookAcknowledgement(int Accepted, int Duplicates);
