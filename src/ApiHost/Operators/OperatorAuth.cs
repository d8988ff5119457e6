using MessengerAutoReply.ApiHost.Api;
using MessengerAutoReply.Hosting;
using MessengerAutoReply.Operators;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using StackExchange.Redis;

namespace MessengerAutoReply.ApiHost.Operators;

/// <summary>
/// Two ways in, one principal (decision 14): the API key (scheme <see cref="ApiKeyScheme"/>, identity <c>api</c>,
/// admin rights) and an operator's session cookie (scheme <see cref="CookieScheme"/>, checked against the store
/// on every request). The default scheme picks the key when the request presents one, the cookie otherwise;
/// challenges and forbids are always answered by the key's handler, as problem+json. Admin-only routes take
/// the <see cref="AdminPolicy"/> policy.
/// </summary>
public static class OperatorAuth
{
    public const string DefaultScheme = "key-or-session";
    public const string CookieScheme = "session";
    public const string ApiKeyScheme = "api-key";
    public const string AdminPolicy = "admin";
    public const string CookieName = "mar_session";

    public static IServiceCollection AddOperatorAuth(this IServiceCollection services, ServiceSettings settings, LoginOptions login)
    {
        services.AddValidatedOptions(login);
        services.AddSingleton<ApiKeyChecker>();
        services.AddSingleton<LoginLimiter>();
        services.AddSingleton<OperatorPasswords>();
        services.AddSingleton<AuditTrail>();
        services.AddHostedService<OperatorBootstrap>();

        // Session cookies must open on every API host: one key ring for the whole service (decision 14).
        var protection = services.AddDataProtection().SetApplicationName(settings.Hosting.ServiceId);
        if (settings.Hosting.ClusterMode)
        {
            var key = new RedisKey($"{settings.Hosting.ServiceId}:data-protection-keys");
            services.AddOptions<KeyManagementOptions>().Configure<IConnectionMultiplexer>((o, redis) =>
                o.XmlRepository = new RedisXmlRepository(() => redis.GetDatabase(), key));
        }
        else
        {
            protection.PersistKeysToFileSystem(new DirectoryInfo(Path.Combine(settings.Hosting.DataDir, "keys")));
        }

        services.AddAuthentication(DefaultScheme)
            .AddPolicyScheme(DefaultScheme, null, o =>
            {
                o.ForwardDefaultSelector = c => ApiKeyChecker.Presents(c.Request) ? ApiKeyScheme : CookieScheme;
                o.ForwardChallenge = ApiKeyScheme;
                o.ForwardForbid = ApiKeyScheme;
            })
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyScheme, null)
            .AddCookie(CookieScheme, o =>
            {
                o.Cookie.Name = CookieName;
                o.Cookie.HttpOnly = true;
                o.Cookie.SameSite = SameSiteMode.Strict;
                // Secure whenever the request came over HTTPS (directly, or through a trusted proxy's X-Forwarded-Proto).
                o.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                o.Cookie.Path = "/";
                o.ExpireTimeSpan = login.SessionLifetime;
                o.SlidingExpiration = true;
                o.Events.OnValidatePrincipal = SessionValidator.ValidateAsync;
                o.Events.OnRedirectToLogin = c => Problems.Unauthorized("Sign in first.").ExecuteAsync(c.HttpContext);
                o.Events.OnRedirectToAccessDenied = c => Problems.Forbidden("Only admins may do this.").ExecuteAsync(c.HttpContext);
            });
        services.AddAuthorizationBuilder()
            .AddPolicy(AdminPolicy, p => p.RequireAuthenticatedUser().RequireRole(OperatorRoles.Admin));
        return services;
    }
}
