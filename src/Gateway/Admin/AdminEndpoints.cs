using Conversations.Gateway.Cluster;
using Conversations.Gateway.Hosting;
using Conversations.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Conversations.Gateway.Admin;

/// <summary>Read-only operator endpoints under /admin, behind the admin token.</summary>
internal static class AdminEndpoints
{
    private const int MaxParked = 1000;

    private static IResult NotFound(string reason) =>
        TypedResults.Json(new ErrorResponse(reason), GatewayJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status404NotFound);

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup("/admin").AddEndpointFilter<AdminTokenFilter>();

        // Chatwoot ids contain ':' ({accountId}:{displayId}); a route segment carries it as is.
        admin.MapGet("/conversations/{tenant}/{conversationId}", async Task<IResult> (
            string tenant, string conversationId, TenantCatalog tenants, IGrainAccess grains, IConversationStore store, CancellationToken cancellationToken) =>
        {
            if (tenants.Find(tenant) is null) return NotFound("conversation not found");
            if (grains.Current is not { } factory)
                return TypedResults.Json(new ErrorResponse("no silo reached yet"), GatewayJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
            var key = new ConversationKey(tenant, conversationId);
            ConversationSnapshot snapshot;
            try { snapshot = await factory.GetConversation(key).GetSnapshotAsync().WaitAsync(cancellationToken); }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Every silo down or hung (a connected client keeps its grain factory): say so, not an empty 500.
                return TypedResults.Json(new ErrorResponse($"no silo answered ({ex.GetType().Name})"), GatewayJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            var pending = await store.CountAfterAsync(key, snapshot.Cursor, cancellationToken);
            if (!snapshot.Exists && pending == 0) return NotFound("conversation not found");
            var parked = await store.ReadParkedAsync(key, cancellationToken);
            return TypedResults.Json(ConversationView.From(key, snapshot, pending, parked), GatewayJsonContext.Default.ConversationView);
        });

        admin.MapGet("/outbox/parked", async Task<IResult> (HttpRequest request, IConversationStore store, CancellationToken cancellationToken) =>
        {
            var max = 100;
            var raw = request.Query["max"].ToString();
            if (raw.Length > 0 && (!int.TryParse(raw, out max) || max is < 1 or > MaxParked))
                return TypedResults.Json(new ErrorResponse($"max must be an integer between 1 and {MaxParked}"), GatewayJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status400BadRequest);

            var parked = await store.ReadParkedAsync(max, cancellationToken);
            IReadOnlyList<ParkedActionView> views = [.. parked.Select(ParkedActionView.From)];
            return TypedResults.Json(views, GatewayJsonContext.Default.IReadOnlyListParkedActionView);
        });
    }
}
