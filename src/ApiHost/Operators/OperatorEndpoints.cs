using MessengerAutoReply.ApiHost.Api;
using MessengerAutoReply.Archive;
using MessengerAutoReply.Operators;

namespace MessengerAutoReply.ApiHost.Operators;

/// <summary>
/// <c>/api/operators</c> (admins): list, create, change, remove. The last active admin cannot be removed,
/// disabled or demoted (409). Answers never carry the password hash (<see cref="OperatorInfo"/>).
/// </summary>
public static class OperatorEndpoints
{
    // Check-then-write of the last-admin rule, one at a time in this process (the stores have no transactions
    // across processes; see docs/decisions.md, #17).
    private static readonly SemaphoreSlim AdminChanges = new(1, 1);

    public static RouteGroupBuilder MapOperators(this RouteGroupBuilder api)
    {
        var operators = api.MapGroup("/operators").RequireAuthorization(OperatorAuth.AdminPolicy);
        operators.MapGet("/", ListAsync);
        operators.MapPost("/", CreateAsync);
        operators.MapPatch("/{id}", UpdateAsync);
        operators.MapDelete("/{id}", DeleteAsync);
        return api;
    }

    private static async Task<IResult> ListAsync(HttpRequest request, IOperatorStore store)
    {
        if (!ChatEndpoints.TryPaging(request, out var page, out var perPage, out var problem))
        {
            return problem!;
        }
        return await ChatEndpoints.FromArchive(async () =>
        {
            var list = await store.ListAsync(page, perPage, request.HttpContext.RequestAborted);
            return TypedResults.Ok(new Paged<OperatorInfo>(list.Page, list.PerPage, list.TotalItems, list.TotalPages, [.. list.Items.Select(a => a.ToInfo())]));
        });
    }

    private static async Task<IResult> CreateAsync(HttpContext http, IOperatorStore store, OperatorPasswords passwords, AuditTrail audit, TimeProvider time)
    {
        var (body, problem) = await JsonBody.ReadAsync<OperatorBody>(http);
        if (problem is not null)
        {
            return problem;
        }
        var email = body!.Email?.Trim();
        if (!OperatorRules.IsEmail(email))
        {
            return Problems.BadRequest("email is required: an address such as anna@example.com.");
        }
        if (OperatorRules.CheckName(body.Name ?? "") is { } badName)
        {
            return Problems.BadRequest(badName.Replace("must not be empty", "is required", StringComparison.Ordinal));
        }
        var role = body.Role ?? OperatorRoles.Agent;
        if (!OperatorRoles.IsValid(role))
        {
            return Problems.BadRequest("role must be admin or agent.");
        }
        if (OperatorRules.CheckPassword(body.Password, "password") is { } badPassword)
        {
            return Problems.BadRequest(badPassword);
        }
        var now = time.GetUtcNow();
        var account = new OperatorAccount
        {
            Id = WorkspaceIds.New(),
            Email = OperatorAccount.NormalizeEmail(email!),
            Name = body.Name!.Trim(),
            Role = role,
            PasswordHash = passwords.Hash(body.Password!),
            Disabled = body.Disabled ?? false,
            SecurityStamp = OperatorPasswords.NewStamp(),
            Created = now,
            Updated = now,
        };
        return await ChatEndpoints.FromArchive(async () =>
        {
            try
            {
                await store.CreateAsync(account, http.RequestAborted);
            }
            catch (OperatorEmailTakenException ex)
            {
                return Problems.Conflict(ex.Message);
            }
            await audit.RecordAsync(http, AuditActions.OperatorCreated, targetId: account.Id, detail: $"{account.Email} as {account.Role}");
            return TypedResults.Created($"/api/operators/{account.Id}", account.ToInfo());
        });
    }

    private static async Task<IResult> UpdateAsync(string id, HttpContext http, IOperatorStore store, OperatorPasswords passwords, AuditTrail audit, TimeProvider time)
    {
        var (body, problem) = await JsonBody.ReadAsync<OperatorBody>(http);
        if (problem is not null)
        {
            return problem;
        }
        var email = body!.Email?.Trim();
        if (email is not null && !OperatorRules.IsEmail(email))
        {
            return Problems.BadRequest("email must be an address such as anna@example.com.");
        }
        if (OperatorRules.CheckName(body.Name) is { } badName)
        {
            return Problems.BadRequest(badName);
        }
        if (body.Role is not null && !OperatorRoles.IsValid(body.Role))
        {
            return Problems.BadRequest("role must be admin or agent.");
        }
        if (body.Password is not null && OperatorRules.CheckPassword(body.Password, "password") is { } badPassword)
        {
            return Problems.BadRequest(badPassword);
        }
        return await ChatEndpoints.FromArchive(async () =>
        {
            await AdminChanges.WaitAsync(http.RequestAborted);
            try
            {
                var account = await store.GetAsync(id, http.RequestAborted);
                if (account is null)
                {
                    return UnknownOperator(id);
                }
                var changed = account with
                {
                    Email = email is null ? account.Email : OperatorAccount.NormalizeEmail(email),
                    Name = body.Name?.Trim() ?? account.Name,
                    Role = body.Role ?? account.Role,
                    Disabled = body.Disabled ?? account.Disabled,
                    PasswordHash = body.Password is null ? account.PasswordHash : passwords.Hash(body.Password),
                    Updated = time.GetUtcNow(),
                };
                if (account.IsActiveAdmin && !changed.IsActiveAdmin && await store.CountActiveAdminsAsync(http.RequestAborted) <= 1)
                {
                    return LastAdmin(changed.Disabled ? "disabled" : "made an agent");
                }
                // Disabling or a new password ends the operator's sessions on every host (the stamp is checked per request).
                if (changed.Disabled != account.Disabled || body.Password is not null)
                {
                    changed = changed with { SecurityStamp = OperatorPasswords.NewStamp() };
                }
                try
                {
                    if (!await store.UpdateAsync(changed, http.RequestAborted))
                    {
                        return UnknownOperator(id);
                    }
                }
                catch (OperatorEmailTakenException ex)
                {
                    return Problems.Conflict(ex.Message);
                }
                await audit.RecordAsync(http, AuditActions.OperatorUpdated, targetId: id, detail: Describe(account, changed, body.Password is not null));
                return TypedResults.Ok(changed.ToInfo());
            }
            finally
            {
                AdminChanges.Release();
            }
        });
    }

    private static async Task<IResult> DeleteAsync(string id, HttpContext http, IOperatorStore store, AuditTrail audit)
    {
        return await ChatEndpoints.FromArchive(async () =>
        {
            await AdminChanges.WaitAsync(http.RequestAborted);
            try
            {
                var account = await store.GetAsync(id, http.RequestAborted);
                if (account is null)
                {
                    return UnknownOperator(id);
                }
                if (account.IsActiveAdmin && await store.CountActiveAdminsAsync(http.RequestAborted) <= 1)
                {
                    return LastAdmin("removed");
                }
                if (!await store.DeleteAsync(id, http.RequestAborted))
                {
                    return UnknownOperator(id);
                }
                await audit.RecordAsync(http, AuditActions.OperatorDeleted, targetId: id, detail: account.Email);
                return TypedResults.NoContent();
            }
            finally
            {
                AdminChanges.Release();
            }
        });
    }

    private static string Describe(OperatorAccount before, OperatorAccount after, bool password)
    {
        var changes = new List<string>();
        if (before.Email != after.Email)
        {
            changes.Add($"email {after.Email}");
        }
        if (before.Name != after.Name)
        {
            changes.Add("name");
        }
        if (before.Role != after.Role)
        {
            changes.Add($"role {after.Role}");
        }
        if (before.Disabled != after.Disabled)
        {
            changes.Add(after.Disabled ? "disabled" : "enabled");
        }
        if (password)
        {
            changes.Add("password reset");
        }
        return changes.Count == 0 ? "no change" : string.Join(", ", changes);
    }

    private static IResult UnknownOperator(string id) => Problems.NotFound($"No operator with id '{id}'.");

    private static IResult LastAdmin(string what) =>
        Problems.Conflict($"This is the last active admin: it cannot be {what}. Make another operator an admin first.");

    private sealed record OperatorBody(string? Email, string? Name, string? Role, string? Password, bool? Disabled);
}
