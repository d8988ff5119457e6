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

/// <summary>What <see cref="ApiKeyChecker.Check"/> found.</summary>
public enum ApiKeyCheck
{
    /// <summary>No key was presented: another scheme (the session cookie) may apply.</summary>
    Absent,
    Accepted,
    Wrong,
    /// <summary>?apiKey= on a route that does not take it.</summary>
    NotInQueryHere,
    /// <summary>The address is over its wrong-key limit (the key was not even compared).</summary>
    Limited,
}

/// <summary>
/// Checks <c>X-API-Key</c> (or <c>?apiKey=</c> on the routes marked <see cref="QueryApiKeyAllowed"/>) against
/// API_KEY and API_KEY_PREVIOUS. Both sides are hashed first so the comparison takes the same time whatever the
/// lengths. Wrong keys are logged (without the key) and counted per client address: past the limit the address
/// gets 429 with Retry-After, for right keys too, until the window passes, so guessing is slow. One instance for
/// the process: the counts are per address, not per route. <see cref="Operators.ApiKeyAuthenticationHandler"/>
/// turns the outcome into the identity <c>api</c>.
/// </summary>
public sealed partial class ApiKeyChecker : IDisposable
{
    private readonly byte[][] _accepted;
    private readonly PartitionedRateLimiter<IPAddress> _failures;
    private readonly ILogger<ApiKeyChecker> _logger;

    public ApiKeyChecker(ApiKeyOptions options, ILogger<ApiKeyChecker> logger)
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

    /// <summary>Whether the request presents a key at all (header, or the query on any route).</summary>
    public static bool Presents(HttpRequest request) =>
        !string.IsNullOrEmpty(request.Headers["X-API-Key"]) || request.Query.ContainsKey("apiKey");

    /// <summary>Checks the request's key; <paramref name="retryAfter"/> is set for <see cref="ApiKeyCheck.Limited"/> and a wrong key past the limit.</summary>
    public ApiKeyCheck Check(HttpContext http, out TimeSpan? retryAfter)
    {
        retryAfter = null;
        var request = http.Request;
        var client = http.Connection.RemoteIpAddress ?? IPAddress.None;
        string? presented = request.Headers["X-API-Key"];
        var fromQuery = false;
        if (string.IsNullOrEmpty(presented) && request.Query.ContainsKey("apiKey"))
        {
            if (http.GetEndpoint()?.Metadata.GetMetadata<QueryApiKeyAllowed>() is null)
            {
                return ApiKeyCheck.NotInQueryHere;
            }
            presented = request.Query["apiKey"];
            fromQuery = true;
        }
        if (string.IsNullOrEmpty(presented))
        {
            return ApiKeyCheck.Absent;
        }
        // An address over its limit is not even checked: a right guess must not stand out from the wrong ones.
        using (var open = _failures.AttemptAcquire(client, 0))
        {
            if (!open.IsAcquired)
            {
                retryAfter = RetryAfter(open);
                return ApiKeyCheck.Limited;
            }
        }
        var actual = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        var match = false;
        foreach (var accepted in _accepted)
        {
            match |= CryptographicOperations.FixedTimeEquals(actual, accepted);
        }
        if (match)
        {
            return ApiKeyCheck.Accepted;
        }
        using var counted = _failures.AttemptAcquire(client);
        LogWrongKey(client.ToString(), request.Method, request.Path.Value ?? "", fromQuery ? "?apiKey=" : "X-API-Key", counted.IsAcquired);
        if (counted.IsAcquired)
        {
            return ApiKeyCheck.Wrong;
        }
        retryAfter = RetryAfter(counted);
        return ApiKeyCheck.Limited;
    }

    private static TimeSpan RetryAfter(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromMinutes(1);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Wrong API key from {Client} on {Method} {Path} (in {Where}); within the failure limit: {WithinLimit}")]
    private partial void LogWrongKey(string client, string method, string path, string where, bool withinLimit);
}
