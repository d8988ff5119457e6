using MessengerAutoReply.ApiHost.Api;
using MessengerAutoReply.Operators;

namespace MessengerAutoReply.ApiHost.Operators;

/// <summary><c>GET /api/audit</c> (admins): who did what, newest first, filtered by <c>operator</c>, <c>chat</c>, <c>action</c>.</summary>
public static class AuditEndpoints
{
    public static RouteGroupBuilder MapAudit(this RouteGroupBuilder api)
    {
        api.MapGet("/audit", ListAsync).RequireAuthorization(OperatorAuth.AdminPolicy);
        return api;
    }

    private static async Task<IResult> ListAsync(HttpRequest request, IAuditLog log)
    {
        if (!ChatEndpoints.TryPaging(request, out var page, out var perPage, out var problem))
        {
            return problem!;
        }
        string? Filter(string name) => request.Query[name].ToString().Trim() is { Length: > 0 } value ? value : null;
        var query = new AuditQuery(page, perPage, Filter("operator"), Filter("chat"), Filter("action"));
        if (new[] { query.OperatorId, query.ChatId, query.Action }.Any(v => v is { Length: > 200 }))
        {
            return Problems.BadRequest("operator, chat and action are at most 200 characters.");
        }
        return await ChatEndpoints.FromArchive(async () => TypedResults.Ok(await log.ListAsync(query, request.HttpContext.RequestAborted)));
    }
}
