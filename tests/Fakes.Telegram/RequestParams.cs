using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;

namespace MessengerAutoReply.Fakes.Telegram;

/// <summary>
/// Bot API parameters from any of the accepted encodings (query, form, multipart, JSON). In the text encodings
/// objects/arrays arrive as JSON text, so accessors parse on demand, like the real server does.
/// </summary>
internal sealed class RequestParams
{
    private readonly Dictionary<string, JsonNode?> _values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, UploadedFile> _files = new(StringComparer.Ordinal);

    public IReadOnlyList<UploadedFile> Files => [.. _files.Values];

    public static async Task<RequestParams> ReadAsync(HttpRequest request, CancellationToken ct)
    {
        var p = new RequestParams();
        foreach (var (key, value) in request.Query)
            p._values[key] = JsonValue.Create(value.ToString());

        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync(ct);
            foreach (var (key, value) in form)
                p._values[key] = JsonValue.Create(value.ToString());
            foreach (var file in form.Files)
            {
                using var ms = new MemoryStream();
                await file.CopyToAsync(ms, ct);
                p._files[file.Name] = new UploadedFile(file.Name, file.FileName, file.ContentType, ms.ToArray());
            }
        }
        else if (request.ContentType?.Contains("json", StringComparison.OrdinalIgnoreCase) == true)
        {
            using var reader = new StreamReader(request.Body);
            var body = await reader.ReadToEndAsync(ct);
            if (!string.IsNullOrWhiteSpace(body))
            {
                JsonNode? node;
                try { node = JsonNode.Parse(body); }
                catch (JsonException) { throw new BotApiException(400, "Bad Request: can't parse JSON object"); }
                if (node is JsonObject obj)
                {
                    foreach (var (key, value) in obj)
                        p._values[key] = value?.DeepClone();
                }
            }
        }
        return p;
    }

    public bool Has(string name) => _values.TryGetValue(name, out var v) && v is not null;

    public string? GetString(string name)
    {
        if (!_values.TryGetValue(name, out var node) || node is null) return null;
        if (node is JsonValue v)
        {
            if (v.TryGetValue<string>(out var s)) return s;
            return v.ToJsonString();
        }
        return node.ToJsonString();
    }

    public long? GetLong(string name)
    {
        if (!_values.TryGetValue(name, out var node) || node is null) return null;
        if (node is JsonValue v)
        {
            if (v.TryGetValue<long>(out var l)) return l;
            if (v.TryGetValue<double>(out var d)) return (long)d;
            if (v.TryGetValue<string>(out var s) && long.TryParse(s.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out l)) return l;
        }
        return null;
    }

    /// <summary>The real server accepts true/yes/1 case-insensitively; Telegram.Bot sends True/False in multipart.</summary>
    public bool GetBool(string name)
    {
        if (!_values.TryGetValue(name, out var node) || node is null) return false;
        if (node is JsonValue v)
        {
            if (v.TryGetValue<bool>(out var b)) return b;
            if (v.TryGetValue<long>(out var l)) return l != 0;
            if (v.TryGetValue<string>(out var s))
                return s.Trim().ToLowerInvariant() is "true" or "yes" or "1";
        }
        return false;
    }

    public JsonNode? GetJson(string name)
    {
        if (!_values.TryGetValue(name, out var node) || node is null) return null;
        if (node is JsonValue v && v.TryGetValue<string>(out var s))
        {
            try { return JsonNode.Parse(s); }
            catch (JsonException) { throw new BotApiException(400, $"Bad Request: can't parse {name} JSON object"); }
        }
        return node;
    }

    public JsonObject? GetObject(string name) => GetJson(name) as JsonObject;

    public List<string>? GetStringArray(string name)
    {
        if (GetJson(name) is not JsonArray arr) return null;
        return [.. arr.Select(n => n?.GetValue<string>() ?? "")];
    }

    /// <summary>An uploaded file given either as a part named after the parameter or as <c>attach://&lt;part&gt;</c>.</summary>
    public UploadedFile? GetFile(string name)
    {
        if (_files.TryGetValue(name, out var direct)) return direct;
        var s = GetString(name);
        if (s is not null && s.StartsWith("attach://", StringComparison.Ordinal) && _files.TryGetValue(s["attach://".Length..], out var attached))
            return attached;
        return null;
    }

    public IReadOnlyDictionary<string, string> Snapshot()
    {
        var d = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (k, v) in _values)
            d[k] = v is JsonValue jv && jv.TryGetValue<string>(out var s) ? s : v?.ToJsonString() ?? "null";
        return d;
    }
}

/// <summary>Thrown inside a handler to answer with a Bot API error envelope.</summary>
internal sealed class BotApiException(int errorCode, string description, int? retryAfter = null, long? migrateToChatId = null)
    : Exception(description)
{
    public int ErrorCode { get; } = errorCode;
    public string Description { get; } = description;
    public int? RetryAfter { get; } = retryAfter;
    public long? MigrateToChatId { get; } = migrateToChatId;
}
