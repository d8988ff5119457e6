using System.Net;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Media;
using MessengerAutoReply.Security;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MessengerAutoReply.Brevo;

/// <summary>
/// Downloads a Brevo attachment from its <c>link</c>. The link points at Brevo's file CDN, not the API, so the
/// api-key is never sent along (whether such links need auth is undocumented; none is known to). The body streams
/// through <see cref="MediaDownloads"/>: byte cap, downloads at once, one fetch per link.
/// </summary>
public sealed partial class BrevoMediaFetcher(IHttpClientFactory httpClients, IOptions<BrevoOptions> options, OutboundPolicy outbound,
    MediaDownloads downloads, ILogger<BrevoMediaFetcher> logger) : IMediaFetcher
{
    public const string HttpClientName = "brevo-files";

    public string Platform => Platforms.Brevo;

    public Task<MediaFetchResult> FetchAsync(MediaRef media, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(media);
        var max = options.Value.MaxFileBytes;
        if (media.Size > max)
        {
            return Task.FromResult(MediaFetchResult.NotAvailable($"The file is larger than {max / (1024 * 1024)} MB."));
        }
        if (!Uri.TryCreate(media.PlatformFileId, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
        {
            return Task.FromResult(MediaFetchResult.NotAvailable("Brevo gave no downloadable link for the file."));
        }
        if (outbound.RefuseLink(uri) is { } refusal)
        {
            LogRefused(uri.IdnHost, refusal);
            return Task.FromResult(MediaFetchResult.NotAvailable($"The file link was not fetched: {refusal}."));
        }
        return downloads.FetchAsync(media, (destination, ct) => DownloadAsync(media, uri, max, destination, ct), cancellationToken, max);
    }

    private async Task<MediaSourceResult> DownloadAsync(MediaRef media, Uri uri, long max, Stream destination, CancellationToken cancellationToken)
    {
        HttpResponseMessage response;
        try
        {
            response = await httpClients.CreateClient(HttpClientName).GetAsync(uri, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        }
        catch (HttpRequestException ex) when (ex.InnerException is OutboundRefusedException refused)
        {
            LogRefused(uri.IdnHost, refused.Message);
            return MediaSourceResult.NotAvailable($"The file link was not fetched: {refused.Message}.");
        }
        using var _ = response;
        if ((int)response.StatusCode is >= 300 and < 400)
        {
            // More redirects than the handler follows (or a downgrade to http): give up rather than chase them.
            return MediaSourceResult.NotAvailable($"Brevo's file link kept redirecting ({(int)response.StatusCode}).");
        }
        if (response.StatusCode is HttpStatusCode.NotFound or HttpStatusCode.Gone or HttpStatusCode.Forbidden or HttpStatusCode.Unauthorized)
        {
            return MediaSourceResult.NotAvailable($"Brevo's file link answered {(int)response.StatusCode}.");
        }
        response.EnsureSuccessStatusCode();
        if (response.Content.Headers.ContentLength > max)
        {
            return MediaSourceResult.NotAvailable($"The file is larger than {max / (1024 * 1024)} MB.");
        }
        // Streamed into the spool file; the stream we are given stops at the cap when the length was not said.
        await using (var body = await response.Content.ReadAsStreamAsync(cancellationToken))
        {
            await body.CopyToAsync(destination, cancellationToken);
        }
        var mimeType = media.MimeType ?? response.Content.Headers.ContentType?.MediaType ?? "application/octet-stream";
        return MediaSourceResult.Downloaded(media.FileName ?? "file", mimeType);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A Brevo file link to {Host} was refused by the outbound policy: {Reason}; the message is kept without the file")]
    private partial void LogRefused(string host, string reason);
}
