using System.Text.Encodings.Web;
using MessengerAutoReply.ApiHost.Api;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace MessengerAutoReply.ApiHost.Operators;

/// <summary>
/// The API key as an authentication scheme: a right key is the identity <c>api</c> with admin rights (decision
/// 14). It also answers every challenge and forbid of the API (the default scheme forwards them here), as
/// problem+json: 401 naming how to authenticate, 429 with Retry-After past the wrong-key limit, 403 for a role
/// that may not do it.
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    ApiKeyChecker checker) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    private ApiKeyCheck _outcome = ApiKeyCheck.Absent;
    private TimeSpan? _retryAfter;

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        // Only the API asks for the key: a header on a webhook or a health probe is not counted as a guess.
        _outcome = Request.Path.StartsWithSegments("/api") ? checker.Check(Context, out _retryAfter) : ApiKeyCheck.Absent;
        return Task.FromResult(_outcome switch
        {
            ApiKeyCheck.Absent => AuthenticateResult.NoResult(),
            ApiKeyCheck.Accepted => AuthenticateResult.Success(new AuthenticationTicket(Actor.ApiPrincipal(Scheme.Name), Scheme.Name)),
            _ => AuthenticateResult.Fail(_outcome.ToString()),
        });
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        // The key was not looked at when the cookie scheme was chosen; look now so the answer says why.
        await HandleAuthenticateOnceSafeAsync();
        var result = _outcome switch
        {
            ApiKeyCheck.Limited => Problems.TooMany(Context, _retryAfter ?? TimeSpan.FromMinutes(1), "Too many wrong API keys from this address; try again later."),
            ApiKeyCheck.Wrong => Problems.Unauthorized("The API key is wrong."),
            ApiKeyCheck.NotInQueryHere => Problems.Unauthorized("?apiKey= is accepted only on GET /api/stream and GET /api/media/{id}, where a browser cannot send headers; send the key in the X-API-Key header."),
            _ => Problems.Unauthorized("Send the API key in the X-API-Key header (or ?apiKey= on GET /api/stream and GET /api/media/{id}), or sign in with POST /api/auth/login."),
        };
        await result.ExecuteAsync(Context);
    }

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        Problems.Forbidden("Only admins may do this.").ExecuteAsync(Context);
}
