using System.Net;
using MessengerAutoReply.ApiHost.Api;
using MessengerAutoReply.Archive;
using MessengerAutoReply.Operators;
using Microsoft.AspNetCore.Authentication;

namespace MessengerAutoReply.ApiHost.Operators;

/// <summary><c>/api/auth</c>: sign in with email and password (a session cookie), sign out, who am I, change my password.</summary>
public static partial class AuthEndpoints
{
    public static RouteGroupBuilder MapAuth(this RouteGroupBuilder api)
    {
        var auth = api.MapGroup("/auth");
        auth.MapPost("/login", LoginAsync).AllowAnonymous();
        auth.MapPost("/logout", LogoutAsync).AllowAnonymous();
        auth.MapGet("/me", Me);
        auth.MapPost("/password", ChangePasswordAsync);
        return api;
    }

    private static async Task<IResult> LoginAsync(HttpContext http, IOperatorStore store, OperatorPasswords passwords, LoginLimiter limiter,
        AuditTrail audit, ILoggerFactory loggers)
    {
        var (body, problem) = await JsonBody.ReadAsync<LoginBody>(http);
        if (problem is not null)
        {
            return problem;
        }
        if (string.IsNullOrWhiteSpace(body!.Email) || string.IsNullOrEmpty(body.Password))
        {
            return Problems.BadRequest("email and password are required.");
        }
        if (body.Email.Length > OperatorRules.MaxEmailLength || body.Password.Length > OperatorRules.MaxPasswordLength)
        {
            return Problems.BadRequest("email or password is too long.");
        }
        var logger = loggers.CreateLogger(typeof(AuthEndpoints));
        var email = OperatorAccount.NormalizeEmail(body.Email);
        var client = http.Connection.RemoteIpAddress ?? IPAddress.None;
        if (limiter.Blocked(client, email) is { } wait)
        {
            LogLimited(logger, email, client.ToString());
            return Problems.TooMany(http, wait, "Too many failed sign-ins for this account or from this address; try again later.");
        }
        OperatorAccount? account;
        try
        {
            account = await store.FindByEmailAsync(email, http.RequestAborted);
        }
        catch (ArchiveUnavailableException ex)
        {
            return Problems.Unavailable($"Operators cannot be read right now: {ex.Message}");
        }
        var passwordRight = passwords.Verify(account, body.Password, out var rehash);
        if (!passwordRight || account!.Disabled)
        {
            limiter.Failed(client, email);
            LogFailed(logger, email, client.ToString(), account is null ? "no such operator" : passwordRight ? "operator disabled" : "wrong password");
            return Problems.Unauthorized("The email or the password is wrong, or the account is disabled.");
        }
        if (rehash is not null)
        {
            account = account with { PasswordHash = rehash };
            await TryAsync(() => store.UpdateAsync(account, http.RequestAborted));
        }
        await http.SignInAsync(OperatorAuth.CookieScheme, Actor.Principal(account, OperatorAuth.CookieScheme));
        var actor = new Actor(account.Id, account.Name, account.Role, Actor.KindOperator, account.Email);
        LogSignedIn(logger, account.Id, email, client.ToString());
        await audit.RecordAsync(actor, AuditActions.SignIn);
        return TypedResults.Ok(account.ToInfo());
    }

    private static async Task<IResult> LogoutAsync(HttpContext http, AuditTrail audit)
    {
        // Anonymous on purpose: whatever the session's state, the cookie goes.
        var result = await http.AuthenticateAsync(OperatorAuth.CookieScheme);
        if (result.Succeeded && Actor.From(result.Principal!) is { IsOperator: true } actor)
        {
            await audit.RecordAsync(actor, AuditActions.SignOut);
        }
        await http.SignOutAsync(OperatorAuth.CookieScheme);
        return TypedResults.NoContent();
    }

    private static Microsoft.AspNetCore.Http.HttpResults.Ok<MeAnswer> Me(HttpContext http)
    {
        var actor = Actor.From(http.User)!;
        return TypedResults.Ok(new MeAnswer(actor.Id, actor.Email, actor.Name, actor.Role, actor.Kind));
    }

    private static async Task<IResult> ChangePasswordAsync(HttpContext http, IOperatorStore store, OperatorPasswords passwords, LoginLimiter limiter,
        AuditTrail audit, ILoggerFactory loggers)
    {
        var actor = Actor.From(http.User)!;
        if (!actor.IsOperator)
        {
            return Problems.BadRequest("The API key has no password; sign in as an operator to change yours.");
        }
        var (body, problem) = await JsonBody.ReadAsync<PasswordBody>(http);
        if (problem is not null)
        {
            return problem;
        }
        if (string.IsNullOrEmpty(body!.CurrentPassword))
        {
            return Problems.BadRequest("currentPassword is required.");
        }
        if (OperatorRules.CheckPassword(body.NewPassword, "newPassword") is { } bad)
        {
            return Problems.BadRequest(bad);
        }
        var client = http.Connection.RemoteIpAddress ?? IPAddress.None;
        var email = OperatorAccount.NormalizeEmail(actor.Email ?? actor.Id);
        if (limiter.Blocked(client, email) is { } wait)
        {
            return Problems.TooMany(http, wait, "Too many wrong passwords for this account or from this address; try again later.");
        }
        return await ChatEndpoints.FromArchive(async () =>
        {
            var account = await store.GetAsync(actor.Id, http.RequestAborted);
            if (account is null)
            {
                return Problems.Unauthorized("Sign in first.");
            }
            if (!passwords.Verify(account, body.CurrentPassword, out _))
            {
                limiter.Failed(client, email);
                LogFailed(loggers.CreateLogger(typeof(AuthEndpoints)), email, client.ToString(), "wrong current password on a password change");
                return Problems.BadRequest("currentPassword is wrong.");
            }
            // A new stamp ends every other session of this operator; this one is issued again with it.
            account = account with { PasswordHash = passwords.Hash(body.NewPassword!), SecurityStamp = OperatorPasswords.NewStamp() };
            await store.UpdateAsync(account, http.RequestAborted);
            await http.SignInAsync(OperatorAuth.CookieScheme, Actor.Principal(account, OperatorAuth.CookieScheme));
            await audit.RecordAsync(actor, AuditActions.PasswordChanged, targetId: actor.Id);
            return TypedResults.NoContent();
        });
    }

    private static async Task TryAsync(Func<Task> write)
    {
        try
        {
            await write();
        }
        catch (ArchiveUnavailableException)
        {
            // A rehash can wait for the next sign-in.
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Failed sign-in for {Email} from {Client}: {Reason}")]
    private static partial void LogFailed(ILogger logger, string email, string client, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Sign-in for {Email} from {Client} refused: too many failures")]
    private static partial void LogLimited(ILogger logger, string email, string client);

    [LoggerMessage(Level = LogLevel.Information, Message = "Operator {OperatorId} ({Email}) signed in from {Client}")]
    private static partial void LogSignedIn(ILogger logger, string operatorId, string email, string client);

    private sealed record LoginBody(string? Email, string? Password);

    private sealed record PasswordBody(string? CurrentPassword, string? NewPassword);

    /// <summary>GET /api/auth/me: the caller; <c>kind</c> is <c>operator</c> or <c>api</c> (the API key).</summary>
    public sealed record MeAnswer(string Id, string? Email, string Name, string Role, string Kind);
}
