using MessengerAutoReply.Archive;
using MessengerAutoReply.Operators;

namespace MessengerAutoReply.ApiHost.Operators;

/// <summary>
/// For requests that outlive their start (the event stream): whether the operator behind the request may still
/// be served. A removed or disabled operator, or one whose password changed, is not; the API key always is. A
/// store that cannot be read keeps the stream (the next ordinary request decides).
/// </summary>
public static class OpenSessions
{
    public static async Task<bool> StillValidAsync(HttpContext http, CancellationToken cancellationToken)
    {
        if (Actor.From(http.User) is not { IsOperator: true } actor)
        {
            return true;
        }
        try
        {
            var account = await http.RequestServices.GetRequiredService<IOperatorStore>().GetAsync(actor.Id, cancellationToken);
            return account is { Disabled: false } && account.SecurityStamp == http.User.FindFirst(Actor.StampClaim)?.Value;
        }
        catch (ArchiveUnavailableException)
        {
            return true;
        }
    }
}
