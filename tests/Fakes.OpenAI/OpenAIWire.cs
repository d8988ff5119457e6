using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace MessengerAutoReply.Fakes.OpenAI;

/// <summary>Wire helpers: error bodies, ids, JSON writing, token estimates.</summary>
internal static class OpenAIWire
{
    internal const string InvalidRequest = "invalid_request_error";

    /// <summary>Every OpenAI error body has this exact shape (reference §2.4).</summary>
    internal static JsonObject ErrorBody(string message, string type, string? param, string? code) => new()
    {
        ["error"] = new JsonObject
        {
            ["message"] = message,
            ["type"] = type,
            ["param"] = param,
            ["code"] = code,
        },
    };

    internal static async Task WriteJsonAsync(HttpContext ctx, int status, JsonNode body)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        var bytes = Encoding.UTF8.GetBytes(body.ToJsonString());
        ctx.Response.ContentLength = bytes.Length;
        // Not the request token: once the handler decided to answer, an aborted client just drops the bytes.
        await ctx.Response.Body.WriteAsync(bytes);
    }

    internal static Task WriteErrorAsync(HttpContext ctx, int status, string message, string type, string? param, string? code)
    {
        if (ctx.Items[FakeOpenAIServer.RecordKey] is FakeRecordedRequest rec)
        {
            rec.ErrorCode = code ?? type;
        }
        return WriteJsonAsync(ctx, status, ErrorBody(message, type, param, code));
    }

    internal static string NewId(string prefix, int hexChars = 48) =>
        prefix + RandomNumberGenerator.GetHexString(hexChars, lowercase: true);

    internal static long UnixNow() => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>Deterministic stand-in for a tokenizer: about four characters per token.</summary>
    internal static int EstimateTokens(string? text) => string.IsNullOrEmpty(text) ? 0 : Math.Max(1, (text.Length + 3) / 4);

    /// <summary>Go-style duration as OpenAI prints it in <c>x-ratelimit-reset-*</c> (<c>120ms</c>, <c>1s</c>, <c>6m0s</c>).</summary>
    internal static string GoDuration(TimeSpan t)
    {
        if (t < TimeSpan.FromSeconds(1))
        {
            return ((int)Math.Ceiling(t.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";
        }
        if (t < TimeSpan.FromMinutes(1))
        {
            var s = Math.Round(t.TotalSeconds, 3);
            return s.ToString(CultureInfo.InvariantCulture) + "s";
        }
        return $"{(int)t.TotalMinutes}m{t.Seconds}s";
    }

    internal static string? GetString(JsonNode? node)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.String)
        {
            return v.GetValue<string>();
        }
        return null;
    }

    internal static int? GetInt(JsonNode? node)
    {
        if (node is JsonValue v && v.GetValueKind() == JsonValueKind.Number && v.TryGetValue<int>(out var i))
        {
            return i;
        }
        return null;
    }

    internal static bool? GetBool(JsonNode? node) => node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False
        ? v.GetValue<bool>()
        : null;

    internal static Dictionary<string, string> GetStringMap(JsonNode? node)
    {
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        if (node is JsonObject o)
        {
            foreach (var (k, v) in o)
            {
                if (GetString(v) is { } s)
                {
                    map[k] = s;
                }
            }
        }
        return map;
    }

    /// <summary>Splits <c>data:image/jpeg;base64,AAAA</c> into media type and bytes; nulls when not a base64 data URL.</summary>
    internal static (string? MediaType, byte[]? Data) ParseDataUrl(string? url)
    {
        if (url is null || !url.StartsWith("data:", StringComparison.OrdinalIgnoreCase))
        {
            return (null, null);
        }
        var comma = url.IndexOf(',', StringComparison.Ordinal);
        if (comma < 0)
        {
            return (null, null);
        }
        var header = url[5..comma];
        var parts = header.Split(';');
        var mediaType = string.IsNullOrEmpty(parts[0]) ? null : parts[0];
        if (!parts.Skip(1).Any(p => p.Equals("base64", StringComparison.OrdinalIgnoreCase)))
        {
            return (mediaType, null);
        }
        try
        {
            return (mediaType, Convert.FromBase64String(url[(comma + 1)..]));
        }
        catch (FormatException)
        {
            return (mediaType, null);
        }
    }
}
