using System.Security.Cryptography;
using System.Text;

namespace MessengerAutoReply.ApiHost.Api;

/// <summary>The key every /api route asks for (API_KEY, or generated once and kept in the data folder).</summary>
public sealed class ApiKeyOptions
{
    public required string Key { get; init; }
    public bool Generated { get; init; }
    public string? StoredAt { get; init; }
}

/// <summary>
/// Checks <c>X-API-Key</c>, or <c>?apiKey=</c> for clients that cannot send headers (EventSource, img).
/// Both sides are hashed first so the comparison takes the same time whatever the lengths.
/// </summary>
public sealed class ApiKeyFilter(ApiKeyOptions options) : IEndpointFilter
{
    private readonly byte[] _expected = SHA256.HashData(Encoding.UTF8.GetBytes(options.Key));

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var request = context.HttpContext.Request;
        string? presented = request.Headers["X-API-Key"];
        if (string.IsNullOrEmpty(presented))
        {
            presented = request.Query["apiKey"];
        }
        if (string.IsNullOrEmpty(presented))
        {
            return Problems.Unauthorized("Send the API key in the X-API-Key header (or ?apiKey= where headers cannot be set).");
        }
        var actual = SHA256.HashData(Encoding.UTF8.GetBytes(presented));
        if (!CryptographicOperations.FixedTimeEquals(actual, _expected))
        {
            return Problems.Unauthorized("The API key is wrong.");
        }
        return await next(context);
    }
}
