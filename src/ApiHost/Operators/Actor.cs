using System.Security.Claims;
using MessengerAutoReply.Operators;

namespace MessengerAutoReply.ApiHost.Operators;

/// <summary>
/// Who is calling: an operator signed in with the session cookie, or the API key as the identity <c>api</c> with
/// admin rights (decision 14). Read from the request's principal, which both schemes build with these claims.
/// </summary>
public sealed record Actor(string Id, string Name, string Role, string Kind, string? Email)
{
    public const string ApiId = "api";
    public const string KindOperator = "operator";
    public const string KindApi = "api";
    public const string KindClaim = "mar:kind";
    public const string StampClaim = "mar:stamp";

    public bool IsOperator => Kind == KindOperator;

    public bool IsAdmin => Role == OperatorRoles.Admin;

    public static Actor? From(ClaimsPrincipal user)
    {
        if (user.Identity?.IsAuthenticated != true || user.FindFirstValue(KindClaim) is not { } kind)
        {
            return null;
        }
        return new Actor(user.FindFirstValue(ClaimTypes.NameIdentifier) ?? "", user.FindFirstValue(ClaimTypes.Name) ?? "",
            user.FindFirstValue(ClaimTypes.Role) ?? "", kind, user.FindFirstValue(ClaimTypes.Email));
    }

    public static ClaimsPrincipal Principal(OperatorAccount account, string scheme) => new(new ClaimsIdentity(
    [
        new Claim(ClaimTypes.NameIdentifier, account.Id),
        new Claim(ClaimTypes.Name, account.Name),
        new Claim(ClaimTypes.Email, account.Email),
        new Claim(ClaimTypes.Role, account.Role),
        new Claim(KindClaim, KindOperator),
        new Claim(StampClaim, account.SecurityStamp),
    ], scheme));

    public static ClaimsPrincipal ApiPrincipal(string scheme) => new(new ClaimsIdentity(
    [
        new Claim(ClaimTypes.NameIdentifier, ApiId),
        new Claim(ClaimTypes.Name, ApiId),
        new Claim(ClaimTypes.Role, OperatorRoles.Admin),
        new Claim(KindClaim, KindApi),
    ], scheme));
}
