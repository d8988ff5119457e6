using MessengerAutoReply.Archive;
using MessengerAutoReply.Operators;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace MessengerAutoReply.ApiHost.Operators;

/// <summary>
/// Checks a session cookie against the store on every request, so a change made on any host counts at once: an
/// operator removed, disabled, or whose password changed (a new security stamp) is signed out; a changed name or
/// role applies to the next request. When the store cannot be read the request is refused (401) but the cookie
/// is kept, so the session works again once the store is back.
/// </summary>
public static partial class SessionValidator
{
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var services = context.HttpContext.RequestServices;
        var actor = context.Principal is { } principal ? Actor.From(principal) : null;
        var stamp = context.Principal?.FindFirst(Actor.StampClaim)?.Value;
        if (actor is not { IsOperator: true } || stamp is null)
        {
            await RejectAsync(context);
            return;
        }
        OperatorAccount? account;
        try
        {
            account = await services.GetRequiredService<IOperatorStore>().GetAsync(actor.Id, context.HttpContext.RequestAborted);
        }
        catch (ArchiveUnavailableException ex)
        {
            LogStoreDown(services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(SessionValidator)), ex.Message);
            context.RejectPrincipal();
            return;
        }
        if (account is null || account.Disabled || account.SecurityStamp != stamp)
        {
            await RejectAsync(context);
            return;
        }
        context.ReplacePrincipal(Actor.Principal(account, context.Scheme.Name));
    }

    private static async Task RejectAsync(CookieValidatePrincipalContext context)
    {
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(context.Scheme.Name);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Session not checked, the operator store cannot be read: {Error}")]
    private static partial void LogStoreDown(ILogger logger, string error);
}
