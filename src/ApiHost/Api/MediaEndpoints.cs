using MessengerAutoReply.Media;
using Microsoft.Net.Http.Headers;

namespace MessengerAutoReply.ApiHost.Api;

/// <summary><c>GET /api/media/{id}</c>: a stored voice note, image or document, behind the API key.</summary>
public static class MediaEndpoints
{
    public static RouteGroupBuilder MapMedia(this RouteGroupBuilder api)
    {
        api.MapGet("/media/{mediaId}", async (string mediaId, IMediaStore media, HttpContext context, CancellationToken ct) =>
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
            context.Response.Headers[HeaderNames.CacheControl] = "private, max-age=86400";
            // Inline for what a browser shows safely, attachment for the rest (an HTML "document" must not run here).
            var inline = file.MimeType.StartsWith("image/", StringComparison.Ordinal) || file.MimeType.StartsWith("audio/", StringComparison.Ordinal)
                || file.MimeType.StartsWith("video/", StringComparison.Ordinal);
            context.Response.Headers["X-Content-Type-Options"] = "nosniff";
            return TypedResults.File(file.Content, file.MimeType, inline ? null : file.FileName, enableRangeProcessing: true);
        });
        return api;
    }
}
