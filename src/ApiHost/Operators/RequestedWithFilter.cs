namespace MessengerAutoReply.ApiHost.Operators;

/// <summary>
/// Cross-site request forgery guard: a request that changes something and is not authenticated by the API key
/// (a session cookie, or a sign-in) must carry <c>X-Requested-With</c>, a header a cross-site form cannot send
/// and a cross-site script cannot send without a CORS preflight this service never allows (decision 14).
/// </summary>
public sealed class RequestedWithFilter : IEndpointFilter
{
    public const string Header = "X-Requested-With";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var method = http.Request.Method;
        if (!HttpMethods.IsGet(method) && !HttpMethods.IsHead(method) && !HttpMethods.IsOptions(method)
            && Actor.From(http.User)?.Kind != Actor.KindApi
            && string.IsNullOrEmpty(http.Request.Headers[Header]))
        {
            return Api.Problems.Forbidden($"A request that changes something under a session needs the {Header} header (any value, e.g. fetch).");
        }
        return await next(context);
    }
}
