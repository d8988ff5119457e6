using MessengerAutoReply.ApiHost.Api;
using MessengerAutoReply.Operators;

namespace MessengerAutoReply.ApiHost.Operators;

/// <summary><c>/api/canned-responses</c>: saved replies; everyone reads, admins change.</summary>
public static class CannedResponseEndpoints
{
    public const int MaxShortCodeLength = 32;

    public static RouteGroupBuilder MapCannedResponses(this RouteGroupBuilder api)
    {
        var canned = api.MapGroup("/canned-responses");
        canned.MapGet("/", ListAsync);
        canned.MapPost("/", CreateAsync).RequireAuthorization(OperatorAuth.AdminPolicy);
        canned.MapPatch("/{id}", UpdateAsync).RequireAuthorization(OperatorAuth.AdminPolicy);
        canned.MapDelete("/{id}", DeleteAsync).RequireAuthorization(OperatorAuth.AdminPolicy);
        return api;
    }

    private static async Task<IResult> ListAsync(HttpRequest request, ICannedResponseStore store)
    {
        if (!ChatEndpoints.TryPaging(request, out var page, out var perPage, out var problem))
        {
            return problem!;
        }
        return await ChatEndpoints.FromArchive(async () => TypedResults.Ok(await store.ListAsync(page, perPage, request.HttpContext.RequestAborted)));
    }

    private static async Task<IResult> CreateAsync(HttpContext http, ICannedResponseStore store, AuditTrail audit, TimeProvider time)
    {
        var (body, problem) = await JsonBody.ReadAsync<Body>(http);
        if (problem is not null)
        {
            return problem;
        }
        if (Check(body!.ShortCode, body.Content, required: true) is { } bad)
        {
            return Problems.BadRequest(bad);
        }
        var now = time.GetUtcNow();
        var response = new CannedResponse(WorkspaceIds.New(), body.ShortCode!.Trim(), body.Content!, now, now);
        return await ChatEndpoints.FromArchive(async () =>
        {
            try
            {
                await store.CreateAsync(response, http.RequestAborted);
            }
            catch (ShortCodeTakenException ex)
            {
                return Problems.Conflict(ex.Message);
            }
            await audit.RecordAsync(http, AuditActions.CannedResponseCreated, targetId: response.Id, detail: response.ShortCode);
            return TypedResults.Created($"/api/canned-responses/{response.Id}", response);
        });
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, ICannedResponseStore store, AuditTrail audit, TimeProvider time)
    {
        var (body, problem) = await JsonBody.ReadAsync<Body>(http);
        if (problem is not null)
        {
            return problem;
        }
        if (Check(body!.ShortCode, body.Content, required: false) is { } bad)
        {
            return Problems.BadRequest(bad);
        }
        return await ChatEndpoints.FromArchive(async () =>
        {
            var existing = WorkspaceIds.IsValid(id) ? await store.GetAsync(id, http.RequestAborted) : null;
            if (existing is null)
            {
                return Problems.NotFound($"No saved reply with id '{id}'.");
            }
            var changed = existing with { ShortCode = body.ShortCode?.Trim() ?? existing.ShortCode, Content = body.Content ?? existing.Content, Updated = time.GetUtcNow() };
            try
            {
                if (!await store.UpdateAsync(changed, http.RequestAborted))
                {
                    return Problems.NotFound($"No saved reply with id '{id}'.");
                }
            }
            catch (ShortCodeTakenException ex)
            {
                return Problems.Conflict(ex.Message);
            }
            await audit.RecordAsync(http, AuditActions.CannedResponseUpdated, targetId: id, detail: changed.ShortCode);
            return TypedResults.Ok(changed);
        });
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext http, ICannedResponseStore store, AuditTrail audit) =>
        await ChatEndpoints.FromArchive(async () =>
        {
            if (!WorkspaceIds.IsValid(id) || !await store.DeleteAsync(id, http.RequestAborted))
            {
                return Problems.NotFound($"No saved reply with id '{id}'.");
            }
            await audit.RecordAsync(http, AuditActions.CannedResponseDeleted, targetId: id);
            return TypedResults.NoContent();
        });

    private static string? Check(string? shortCode, string? content, bool required)
    {
        if (shortCode is null ? required : !IsShortCode(shortCode.Trim()))
        {
            return $"shortCode is required: 1 to {MaxShortCodeLength} lowercase letters, digits, - or _ (typed as /shortCode).";
        }
        if (content is null ? required : string.IsNullOrWhiteSpace(content) || content.Length > MessageEndpoints.MaxTextLength)
        {
            return $"content is required: the reply's text, at most {MessageEndpoints.MaxTextLength} characters.";
        }
        return null;
    }

    private static bool IsShortCode(string value) =>
        value.Length is > 0 and <= MaxShortCodeLength && value.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9') or '-' or '_');

    private sealed record Body(string? ShortCode, string? Content);
}
