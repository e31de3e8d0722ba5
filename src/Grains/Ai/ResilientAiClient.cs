using System.Diagnostics;
using System.Text.Json;
using Polly.CircuitBreaker;
using Polly.Timeout;

namespace Conversations.Grains.Ai;

/// <summary>The grain's AI: the tenant's connector (Ai:Kind) run inside its pipeline; every failure becomes <see cref="AiUnavailableException"/>.</summary>
public sealed class ResilientAiClient(IEnumerable<IAiConnector> connectors, AiPipelines pipelines, ConversationMetrics metrics, TimeProvider time) : IAiClient
{
    private readonly Dictionary<AiKind, IAiConnector> _connectors = connectors.ToDictionary(c => c.Kind);

    /// <summary>Runs <see cref="CallAsync"/> in an <c>ai.respond</c> span (engine, model, outcome; never a text) and records its latency.</summary>
    public async ValueTask<AiReply> RespondAsync(AiRequest request, CancellationToken cancellationToken)
    {
        var ai = request.Tenant.Ai;
        var engine = ai.Kind.ToString();
        using var span = ConversationTracing.Source.StartActivity("ai.respond", ActivityKind.Client);
        span?.SetTag("ai.engine", engine);
        span?.SetTag("ai.model", ai.Model);
        span?.SetTag("ai.purpose", request.Purpose.ToString());
        var started = time.GetTimestamp();
        var outcome = "answered";
        try
        {
            return await CallAsync(request, cancellationToken);
        }
        catch (AiUnavailableException ex)
        {
            outcome = "failed";
            span?.SetStatus(ActivityStatusCode.Error, ex.Message);
            metrics.AiFailures.Add(1, new KeyValuePair<string, object?>("tenant", request.Tenant.Id), new KeyValuePair<string, object?>("engine", engine));
            throw;
        }
        finally
        {
            var elapsed = time.GetElapsedTime(started).TotalMilliseconds;
            span?.SetTag("ai.outcome", outcome);
            metrics.AiDuration.Record(elapsed,
                new KeyValuePair<string, object?>("tenant", request.Tenant.Id), new KeyValuePair<string, object?>("engine", engine), new KeyValuePair<string, object?>("outcome", outcome));
        }
    }

    private async ValueTask<AiReply> CallAsync(AiRequest request, CancellationToken cancellationToken)
    {
        if (!_connectors.TryGetValue(request.Tenant.Ai.Kind, out var connector))
            throw new AiUnavailableException($"no connector registered for Ai:Kind={request.Tenant.Ai.Kind}");
        var pipeline = pipelines.For(request.Tenant);
        try
        {
            return await pipeline.ExecuteAsync(static (state, ct) => state.connector.RespondAsync(state.request, ct), (connector, request), cancellationToken);
        }
        catch (BrokenCircuitException ex) { throw new AiUnavailableException("circuit open after repeated failures", ex); }
        catch (TimeoutRejectedException ex) { throw new AiUnavailableException($"timed out after {request.Tenant.Ai.Timeout.TotalSeconds:0.#} s", ex); }
        catch (AiTransientException ex) { throw new AiUnavailableException(ex.Message, ex); }
        catch (AiRejectedException ex) { throw new AiUnavailableException(ex.Message, ex); }
        catch (HttpRequestException ex) { throw new AiUnavailableException($"network: {ex.Message}", ex); }
        catch (JsonException ex) { throw new AiUnavailableException($"unreadable answer: {ex.Message}", ex); }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested) { throw new AiUnavailableException("cancelled", ex); }
        catch (Exception ex) when (ex is not OperationCanceledException and not AiUnavailableException)
        {
            // A connector bug or a misconfiguration must cost a handoff, never a conversation stuck retrying its turn.
            throw new AiUnavailableException($"{ex.GetType().Name}: {ex.Message}", ex);
        }
    }
}
