using System.Diagnostics;

namespace MessengerAutoReply.ApiHost.Hosting;

/// <summary>One line per request, with secrets taken out of the URL (decision 15).</summary>
public sealed partial class RequestLog(RequestDelegate next, ILogger<RequestLog> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            if (logger.IsEnabled(LogLevel.Debug))
            {
                LogRequest(context.Request.Method, Redaction.Path(context.Request.Path), Redaction.Query(context.Request.QueryString),
                    context.Response.StatusCode, Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "{Method} {Path}{Query} → {Status} in {ElapsedMs:0.0} ms")]
    private partial void LogRequest(string method, string path, string query, int status, double elapsedMs);
}

public static partial class Redaction
{
    private static readonly string[] SecretQueryKeys = ["apikey", "api_key", "token", "secret"];

    /// <summary>Webhook paths carry their secret as the last segment.</summary>
    public static string Path(PathString path)
    {
        var value = path.Value ?? "";
        if (value.StartsWith("/webhooks/", StringComparison.OrdinalIgnoreCase))
        {
            var parts = value.Split('/');
            if (parts.Length > 3)
            {
                parts[^1] = "***";
                return string.Join('/', parts);
            }
        }
        return value;
    }

    /// <summary><c>/bot123:ABC/sendMessage</c> → <c>/bot***/sendMessage</c>.</summary>
    public static string BotApiUrl(Uri uri) =>
        $"{uri.GetLeftPart(UriPartial.Authority)}{BotToken().Replace(uri.AbsolutePath, "/bot***/")}";

    [System.Text.RegularExpressions.GeneratedRegex("/bot[^/]+/")]
    private static partial System.Text.RegularExpressions.Regex BotToken();

    public static string Query(QueryString query)
    {
        if (!query.HasValue)
        {
            return "";
        }
        var parts = query.Value!.TrimStart('?').Split('&');
        for (var i = 0; i < parts.Length; i++)
        {
            var eq = parts[i].IndexOf('=', StringComparison.Ordinal);
            var key = eq < 0 ? parts[i] : parts[i][..eq];
            if (SecretQueryKeys.Contains(key.ToLowerInvariant()))
            {
                parts[i] = key + "=***";
            }
        }
        return "?" + string.Join('&', parts);
    }
}
