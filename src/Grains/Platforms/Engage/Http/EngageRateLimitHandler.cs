namespace Conversations.Grains.Platforms.Engage.Http;

/// <summary>
/// Inside the read retries, outside the platform pipeline: waits for the tenant's budget before each attempt (so retries pay too), then
/// applies the per-attempt timeout, which starts only once the request may leave (queueing is not a timeout).
/// </summary>
public sealed class EngageRateLimitHandler(EngageRequestBudgets budgets) : DelegatingHandler
{
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (!request.Options.TryGetValue(EngageRequestTenant.Key, out var tenant))
            throw new InvalidOperationException("Engage requests must carry their tenant (EngageRequestTenant).");
        await budgets.For(tenant.Tenant, tenant.RequestsPerMinute).AcquireAsync(cancellationToken).ConfigureAwait(false);
        using var attempt = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        attempt.CancelAfter(tenant.AttemptTimeout);
        try
        {
            return await base.SendAsync(request, attempt.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"Engage {request.Method} {request.RequestUri?.AbsolutePath} timed out after {tenant.AttemptTimeout.TotalSeconds:0.#} s.");
        }
    }
}
