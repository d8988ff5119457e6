using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Threading.RateLimiting;

namespace MessengerAutoReply.ApiHost.Api;

/// <summary>The key every /api route asks for (API_KEY, or generated once and kept in the data folder).</summary>
public sealed class ApiKeyOptions
{
    /// <summary>Shorter configured keys get one warning at start (the seed's example key is short, so it is not refused).</summary>
    public const int RecommendedLength = 16;

    public required string Key { get; init; }
    /// <summary>API_KEY_PREVIOUS: still accepted while set, so clients can move to a new key without downtime.</summary>
    public string? PreviousKey { get; init; }
    public bool Generated { get; init; }
    public string? StoredAt { get; init; }
    /// <summary>API_KEY_FAILURE_LIMIT wrong keys per client address within <see cref="FailureWindow"/>, then 429.</summary>
    public int FailureLimit { get; init; } = 10;
    public TimeSpan FailureWindow { get; init; } = TimeSpan.FromMinutes(1);
}

/// <summary>Marks the GET routes where <c>?apiKey=</c> is accepted because a header cannot be sent (decision 14).</summary>
public sealed class QueryApiKeyAllowed
{
    public static readonly QueryApiKeyAllowed Instance = new();
}

/// <summary>
/// Checks <c>X-API-Key</c> (or <c>?apiKey=</c> on the routes marked <see cref="QueryApiKeyAllowed"/>) against
/// API_KEY and API_KEY_PREVIOUS. Both sides are hashed first so the comparison takes the same time whatever the
/// lengths. Wrong keys are logged (without the key) and counted per client address: past the limit the address
/// gets 429 with Retry-After, for right keys too, until the window passes, so guessing is slow.
/// </summary>
public sealed partial class ApiKeyFilter : IEndpointFilter, IDisposable
{
    private readonly byte[][] _accepted;
    private readonly PartitionedRateLimiter<IPAddress> _failures;
    private readonly ILogger<ApiKeyFilter> _logger;

    public ApiKeyFilter(ApiKeyOptions options, ILogger<ApiKeyFilter> logger)
    {
        _logger = logger;
        _accepted = new[] { options.Key, options.PreviousKey }
            .Where(k => !string.IsNullOrEmpty(k))
            .Select(k => SHA256.HashData(Encoding.UTF8.GetBytes(k!)))
            .ToArray();
        _failures = PartitionedRateLimiter.Create<IPAddress, IPAddress>(address => RateLimitPartition.GetFixedWindowLimiter(address, _ => new FixedWindowRateLimiterOptions
        {
            PermitLimit = options.FailureLimit,
            Window = options.FailureWindow,
            QueueLimit = 0,
        }));
    }

    public void Dispose() => _failures.Dispose();

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var request = http.Request;
        var client = http.Connection.RemoteIpAddress ?? IPAddress.None;
        string? presented = request.Headers["X-API-Key"];
        var fromQuery = false;
        if (string.IsNullOrEmpty(presented) && request.Query.ContainsKey("apiKey"))
        {
            if (http.GetEndpoint()?.Metadata.GetMetadata<QueryApiKeyAllowed>() is null)
            {
                return Problems.Unauthorized("?apiKey= is accepted only on GET /api/stream and GET /api/media/{id}, where a browser cannot send headers; send the key in the X-API-Key header.");
            }
            presented = request.Query["apiKey"];
            fromQuery = true;
        }
        if (string.IsNullOrEmpty(presented))
        {
            return Problems.Unauthorized("Send the API key in the X-API-Key header (or ?apiKey= on GET /api/stream and GET /api/media/{id}).");
        }
        // An address over its limit is not even checked: a right guess must not stand out from the wrong ones.
        using (var open = _failures.AttemptAcquire(client, 0))
        {
            if (!open.IsAcquired)
            {
                return TooMany(http, open);
            }
        }
        var actual = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var match = false;
        foreach (var accepted in _accepted)
        {
            match |= CryptographicOperations.FixedTimeEquals(actual, accepted);
        }
        if (!match)
        {
            using var counted = _failures.AttemptAcquire(client);
            LogWrongKey(client.ToString(), request.Method, request.Path.Value ?? "", fromQuery ? "?apiKey=" : "X-API-Key", counted.IsAcquired);
            return counted.IsAcquired ? Problems.Unauthorized("The API key is wrong.") : TooMany(http, counted);
        }
        return await next(context);
    }

    private static Microsoft.AspNetCore.Http.HttpResults.ProblemHttpResult TooMany(HttpContext http, RateLimitLease lease)
    {
        var retry = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retry.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return TypedResults.Problem(detail: "Too many wrong API keys from this address; try again later.",
            statusCode: StatusCodes.Status429TooManyRequests, title: "Too many requests");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wrong API key from {Client} on {Method} {Path} (in {Where}); within the failure limit: {WithinLimit}")]
    private partial void LogWrongKey(string client, string method, string path, string where, bool withinLimit);
}
