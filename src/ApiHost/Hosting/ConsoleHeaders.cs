using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Net.Http.Headers;

namespace MessengerAutoReply.ApiHost.Hosting;

/// <summary>
/// The admin console's pages get a strict Content-Security-Policy: scripts and styles only from our own files
/// (no inline script, no eval), media only from our origin or the blob URLs the console makes of fetched files,
/// no plugins, no framing. A stored script that got onto the page some other way still would not run.
/// </summary>
public static class ConsoleHeaders
{
    public const string Policy =
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; " +
        "connect-src 'self'; font-src 'self'; manifest-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

    public static void Apply(StaticFileResponseContext context)
    {
        var headers = context.Context.Response.Headers;
        headers[HeaderNames.XContentTypeOptions] = "nosniff";
        if (context.File.Name.EndsWith(".html", StringComparison.OrdinalIgnoreCase))
        {
            headers[HeaderNames.ContentSecurityPolicy] = Policy;
            headers["Referrer-Policy"] = "no-referrer";
        }
    }
}
