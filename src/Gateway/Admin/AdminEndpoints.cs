using Conversations.Gateway.Admin.Stats;
using Conversations.Gateway.Cluster;
using Conversations.Gateway.Hosting;
using Conversations.Storage;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Conversations.Gateway.Admin;

/// <summary>Operator endpoints under /admin, behind the admin token.</summary>
internal static class AdminEndpoints
{
    private const int MaxParked = 1000;
    private const int MaxPageSize = 200;
    private static readonly string[] Modes = ["bot", "human", "resolved"];

    private static IResult BadRequest(string reason) =>
        TypedResults.Json(new ErrorResponse(reason), GatewayJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status400BadRequest);

    private static IResult NotFound(string reason) =>
        TypedResults.Json(new ErrorResponse(reason), GatewayJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status404NotFound);

    public static void Map(IEndpointRouteBuilder endpoints)
    {
        var admin = endpoints.MapGroup("/admin").AddEndpointFilter<AdminTokenFilter>();

        // The operator console: one self-contained page (no external resource) over the endpoints below.
        admin.MapGet("", ConsolePage.Serve); // /admin and /admin/ (routing ignores a trailing slash)

        admin.MapGet("/tenants", async Task<IResult> (TenantCatalog tenants, IConversationStore store, CancellationToken cancellationToken) =>
        {
            var views = new List<TenantView>();
            foreach (var tenant in tenants.All.OrderBy(t => t.Id, StringComparer.Ordinal))
            {
                var count = (await store.ListConversationsAsync(new ConversationDirectoryFilter(Tenant: tenant.Id, PageSize: 1), cancellationToken)).Total;
                views.Add(new TenantView(tenant.Id, tenant.Platform.ToString(), tenant.Ai.Kind.ToString(), count));
            }
            return TypedResults.Json<IReadOnlyList<TenantView>>(views, GatewayJsonContext.Default.IReadOnlyListTenantView);
        });

        admin.MapGet("/conversations", async Task<IResult> (HttpRequest request, IConversationStore store, CancellationToken cancellationToken) =>
        {
            var (filter, error) = ParseListFilter(request.Query);
            if (filter is null) return BadRequest(error!);
            var page = await store.ListConversationsAsync(filter, cancellationToken);
            return TypedResults.Json(new ConversationListView(filter.Page, filter.PageSize, page.Total, [.. page.Entries.Select(ConversationListEntryView.From)]),
                GatewayJsonContext.Default.ConversationListView);
        });

        // Chatwoot ids contain ':' ({accountId}:{displayId}); a route segment carries it as is.
        admin.MapGet("/conversations/{tenant}/{conversationId}", async Task<IResult> (
            string tenant, string conversationId, TenantCatalog tenants, IGrainAccess grains, IConversationStore store, CancellationToken cancellationToken) =>
        {
            if (tenants.Find(tenant) is null) return NotFound("conversation not found");
            if (grains.Current is not { } factory)
                return TypedResults.Json(new ErrorResponse("no silo reached yet"), GatewayJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
            var key = new ConversationKey(tenant, conversationId);
            // Read before the snapshot: events are consumed only after the state that consumed them is
            // written, so "no events now" and then "no state" means the conversation does not exist.
            var anyEvents = await store.CountAfterAsync(key, 0, cancellationToken) > 0;
            ConversationSnapshot snapshot;
            try { snapshot = await factory.GetConversation(key).GetSnapshotAsync().WaitAsync(cancellationToken); }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Every silo down or hung (a connected client keeps its grain factory): say so, not an empty 500.
                return TypedResults.Json(new ErrorResponse($"no silo answered ({ex.GetType().Name})"), GatewayJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            var pending = await store.CountAfterAsync(key, snapshot.Cursor, cancellationToken);
            if (!snapshot.Exists && !anyEvents && pending == 0) return NotFound("conversation not found");
            var parked = await store.ReadParkedAsync(key, cancellationToken);
            return TypedResults.Json(ConversationView.From(key, snapshot, pending, parked), GatewayJsonContext.Default.ConversationView);
        });

        admin.MapPost("/conversations/{tenant}/{conversationId}/parked/{actionId:long}/retry", async Task<IResult> (
            string tenant, string conversationId, long actionId, TenantCatalog tenants, IGrainAccess grains, CancellationToken cancellationToken) =>
        {
            if (tenants.Find(tenant) is null) return NotFound("parked action not found");
            if (grains.Current is not { } factory)
                return TypedResults.Json(new ErrorResponse("no silo reached yet"), GatewayJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
            bool retried;
            try { retried = await factory.GetConversation(new ConversationKey(tenant, conversationId)).RetryParkedAsync(actionId).WaitAsync(cancellationToken); }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                return TypedResults.Json(new ErrorResponse($"no silo answered ({ex.GetType().Name})"), GatewayJsonContext.Default.ErrorResponse, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
            return retried ? TypedResults.Accepted((string?)null) : NotFound("parked action not found");
        });

        admin.MapDelete("/conversations/{tenant}/{conversationId}/parked/{actionId:long}", async Task<IResult> (
            string tenant, string conversationId, long actionId, TenantCatalog tenants, IConversationStore store, CancellationToken cancellationToken) =>
        {
            if (tenants.Find(tenant) is null) return NotFound("parked action not found");
            return await store.RemoveParkedAsync(new ConversationKey(tenant, conversationId), actionId, cancellationToken)
                ? TypedResults.NoContent()
                : NotFound("parked action not found");
        });

        // The console's charts: this process' samples of the last minutes (the inbox lag is the cluster's, from the store).
        admin.MapGet("/stats", (LiveStats stats, ProjectMeterListener meters) =>
            TypedResults.Json(stats.View(meters.Meters), GatewayJsonContext.Default.LiveStatsView));

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

    /// <summary>tenant, mode (bot, human, resolved), reason, since (ISO 8601), page (from 1), pageSize (1..200); the first bad one is named.</summary>
    internal static (ConversationDirectoryFilter? Filter, string? Error) ParseListFilter(IQueryCollection query)
    {
        static string? Value(IQueryCollection query, string name) => query[name].ToString() is { Length: > 0 } value ? value : null;

        var mode = Value(query, "mode");
        if (mode is not null && !Modes.Contains(mode, StringComparer.Ordinal)) return (null, "mode must be bot, human or resolved");
        DateTimeOffset? since = null;
        if (Value(query, "since") is { } rawSince)
        {
            if (!DateTimeOffset.TryParse(rawSince, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var parsed))
                return (null, "since must be an ISO 8601 date and time");
            since = parsed;
        }
        var page = 1;
        if (Value(query, "page") is { } rawPage && (!int.TryParse(rawPage, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out page) || page is < 1 or > 1_000_000))
            return (null, "page must be an integer from 1");
        var pageSize = 50;
        if (Value(query, "pageSize") is { } rawSize && (!int.TryParse(rawSize, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out pageSize) || pageSize is < 1 or > MaxPageSize))
            return (null, $"pageSize must be an integer between 1 and {MaxPageSize}");
        return (new ConversationDirectoryFilter(Value(query, "tenant"), mode, Value(query, "reason"), since, page, pageSize), null);
    }
}
