using Conversations.Gateway.Hosting;
using Conversations.Runtime.Store;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Conversations.Gateway.Admin;

/// <summary>Read-only operator endpoints under /admin, behind the admin token.</summary>
internal static class AdminEndpoints
{
    private const int MaxParked = 1000;

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup("/admin").AddEndpointFilter<AdminTokenFilter>();

        // Chatwoot ids contain ':' ({accountId}:{displayId}); a route segment carries it as is.
        admin.MapGet("/conversations/{tenant}/{conversationId}", async Task<IResult> (string tenant, string conversationId, IConversationStore store, CancellationToken cancellationToken) =>
        {
            var record = await store.ReadAsync(new ConversationKey(tenant, conversationId), cancellationToken);
            return record is null
                ? TypedResults.Json(new ErrorResponse("conversation not found"), GatewayJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status404NotFound)
                : TypedResults.Json(ConversationView.From(record), GatewayJsonContext.Default.ConversationView);
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
