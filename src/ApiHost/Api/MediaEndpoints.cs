using MessengerAutoReply.Media;
using Microsoft.Net.Http.Headers;

namespace MessengerAutoReply.ApiHost.Api;

/// <summary><c>GET /api/media/{id}</c>: a stored voice note, image or document, behind the API key.</summary>
public static partial class MediaEndpoints
{
    public static RouteGroupBuilder MapMedia(this RouteGroupBuilder api)
    {
        api.MapGet("/media/{mediaId}", ServeAsync).WithMetadata(QueryApiKeyAllowed.Instance);
        return api;
    }

    private static async Task<IResult> ServeAsync(string mediaId, IMediaStore media, HttpContext context, ILoggerFactory logs, CancellationToken ct)
    {
        StoredMedia? file;
        try
        {
            file = await media.OpenAsync(mediaId, ct);
        }
        catch (Archive.ArchiveUnavailableException ex)
        {
            return Problems.Unavailable($"The media store cannot be read right now: {ex.Message}");
        }
        if (file is null)
        {
            return Problems.NotFound($"No media with id '{mediaId}'.");
        }
        context.Response.RegisterForDisposeAsync(file);
        var (content, head) = await PeekAsync(file.Content, ct);
        if (!ReferenceEquals(content, file.Content))
        {
            context.Response.RegisterForDisposeAsync(content);
        }
        // The customer chose the declared type: inline only when the bytes agree and the format runs no script.
        var inlineType = InlineMediaPolicy.InlineType(file.MimeType, head);
        var headers = context.Response.Headers;
        headers[HeaderNames.CacheControl] = "private, max-age=86400";
        headers[HeaderNames.XContentTypeOptions] = "nosniff";
        // Opened by URL, the file is its own document: no script, no same-origin rights, whatever it is.
        headers[HeaderNames.ContentSecurityPolicy] = "sandbox";
        if (inlineType is not null)
        {
            return TypedResults.File(content, inlineType, enableRangeProcessing: content.CanSeek);
        }
        if (file.MimeType.StartsWith("image/", StringComparison.OrdinalIgnoreCase) || file.MimeType.Contains("html", StringComparison.OrdinalIgnoreCase)
            || file.MimeType.Contains("xml", StringComparison.OrdinalIgnoreCase))
        {
            LogAttachment(logs.CreateLogger("MessengerAutoReply.Media"), mediaId, file.MimeType);
        }
        return TypedResults.File(content, "application/octet-stream", SafeFileName(file.FileName, mediaId), enableRangeProcessing: content.CanSeek);
    }

    /// <summary>The first bytes, and a stream that still yields them (rewound when it can seek, replayed when not).</summary>
    private static async Task<(System.IO.Stream Content, byte[] Head)> PeekAsync(System.IO.Stream stream, CancellationToken ct)
    {
        var head = new byte[InlineMediaPolicy.SniffLength];
        var read = 0;
        while (read < head.Length)
        {
            var n = await stream.ReadAsync(head.AsMemory(read), ct);
            if (n == 0)
            {
                break;
            }
            read += n;
        }
        Array.Resize(ref head, read);
        if (stream.CanSeek)
        {
            stream.Position = 0;
            return (stream, head);
        }
        return (new PrefixedStream(head, stream), head);
    }

    /// <summary>A download name without path parts or control characters (the platform's name is the customer's).</summary>
    private static string SafeFileName(string? name, string fallback)
    {
        var clean = new string((Path.GetFileName(name) ?? "").Where(c => !char.IsControl(c) && c is not ('"' or '\\' or '/')).ToArray()).Trim();
        return clean.Length == 0 ? fallback : clean;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Media {MediaId} declared as {MimeType} is served as an attachment: its bytes are not a format that is safe to show inline")]
    private static partial void LogAttachment(ILogger logger, string mediaId, string mimeType);
}
