using System.Net;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Media;
using MessengerAutoReply.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MessengerAutoReply.Brevo;

/// <summary>
/// Downloads a Brevo attachment from its <c>link</c>. The link points at Brevo's file CDN, not the API, so the
/// api-key is never sent along (whether such links need auth is undocumented; none is known to).
/// </summary>
public sealed partial class BrevoMediaFetcher(IHttpClientFactory httpClients, IOptions<BrevoOptions> options, OutboundPolicy outbound, ILogger<BrevoMediaFetcher> logger) : IMediaFetcher
{
    public const string HttpClientName = "brevo-files";

    public string Platform => Platforms.Brevo;

    public async Task<MediaFetchResult> FetchAsync(MediaRef media, CancellationToken cancellationToken)
    {
        var max = options.Value.MaxFileBytes;
        if (media.Size > max)
        {
            return MediaFetchResult.NotAvailable($"The file is larger than {max / (1024 * 1024)} MB.");
        }
        if (!Uri.TryCreate(media.PlatformFileId, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return MediaFetchResult.NotAvailable("Brevo gave no downloadable link for the file.");
        }
        if (outbound.RefuseLink(uri) is { } refusal)
        {
            LogRefused(uri.IdnHost, refusal);
            return MediaFetchResult.NotAvailable($"The file link was not fetched: {refusal}.");
        }
        HttpResponseMessage response;
        try
        {
            response = await httpClients.CreateClient(HttpClientName).GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex) when (ex.InnerException is OutboundRefusedException refused)
        {
            LogRefused(uri.IdnHost, refused.Message);
            return MediaFetchResult.NotAvailable($"The file link was not fetched: {refused.Message}.");
        }
        using var _ = response;
        if ((int)response.StatusCode is >= 300 and < 400)
        {
            // More redirects than the handler follows (or a downgrade to http): give up rather than chase them.
            return MediaFetchResult.NotAvailable($"Brevo's file link kept redirecting ({(int)response.StatusCode}).");
        }
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone or HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            return MediaFetchResult.NotAvailable($"Brevo's file link answered {(int)response.StatusCode}.");
        }
        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentLength > max)
        {
            return MediaFetchResult.NotAvailable($"The file is larger than {max / (1024 * 1024)} MB.");
        }
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await stream.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > max)
            {
                return MediaFetchResult.NotAvailable($"The file is larger than {max / (1024 * 1024)} MB.");
            }
            buffer.Write(chunk, 0, read);
        }
        var mimeType = media.MimeType ?? response.Content.Headers.ContentType?.MediaType ?? "application/octet-stream";
        var fileName = media.FileName ?? "file";
        return MediaFetchResult.Of(new MediaContent(Platforms.Brevo, fileName, mimeType, buffer.ToArray()));
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A Brevo file link to {Host} was refused by the outbound policy: {Reason}; the message is kept without the file")]
    private partial void LogRefused(string host, string reason);
}
