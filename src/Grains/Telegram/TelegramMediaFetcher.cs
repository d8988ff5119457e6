using MessengerAutoReply.Chats;
using MessengerAutoReply.Media;
using MessengerAutoReply.Security;
using Microsoft.Extensions.Logging;
using Telegram.Bot;
using Telegram.Bot.Exceptions;

namespace MessengerAutoReply.Telegram;

/// <summary>
/// getFile, then the file download, both through the SDK, streamed through <see cref="MediaDownloads"/> (byte cap,
/// downloads at once, one fetch per file_unique_id). Too big or unknown files are a permanent "not available".
/// </summary>
public sealed partial class TelegramMediaFetcher(TelegramClients clients, TelegramOptions options, MediaDownloads downloads, ILogger<TelegramMediaFetcher> logger) : IMediaFetcher
{
    public string Platform => Platforms.Telegram;

    public Task<MediaFetchResult> FetchAsync(MediaRef media, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(media);
        if (media.Size > options.MaxDownloadBytes)
        {
            return Task.FromResult(MediaFetchResult.NotAvailable(TooBig(media.Size.Value)));
        }
        return downloads.FetchAsync(media, (destination, ct) => DownloadAsync(media, destination, ct), cancellationToken, options.MaxDownloadBytes);
    }

    private async Task<MediaSourceResult> DownloadAsync(MediaRef media, Stream destination, CancellationToken cancellationToken)
    {
        var client = clients.Get();
        try
        {
            var file = await client.GetFile(media.PlatformFileId, cancellationToken);
            if (string.IsNullOrEmpty(file.FilePath))
            {
                return MediaSourceResult.NotAvailable("Telegram returned no file path for this file.");
            }
            if (file.FileSize > options.MaxDownloadBytes)
            {
                return MediaSourceResult.NotAvailable(TooBig(file.FileSize.Value));
            }
            if (Path.IsPathRooted(file.FilePath))
            {
                // A local Bot API server (--local) answers with a path on its own disk: read only inside its folder.
                var local = options.LocalFilesDir is null ? null : ContainedPath.ResolveFileUnder(options.LocalFilesDir, file.FilePath);
                if (local is null)
                {
                    LogLocalRefused(file.FilePath, options.LocalFilesDir ?? "(TELEGRAM_LOCAL_FILES_DIR unset)");
                    return MediaSourceResult.NotAvailable(options.LocalFilesDir is null
                        ? "The Bot API server named a file on its disk, and TELEGRAM_LOCAL_FILES_DIR is not set; the file was not read."
                        : "The Bot API server named a file outside TELEGRAM_LOCAL_FILES_DIR; the file was not read.");
                }
                if (new FileInfo(local).Length > options.MaxDownloadBytes)
                {
                    return MediaSourceResult.NotAvailable(TooBig(new FileInfo(local).Length));
                }
                await using var source = new FileStream(local, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true);
                await source.CopyToAsync(destination, cancellationToken);
            }
            else
            {
                await client.DownloadFile(file.FilePath, destination, cancellationToken);
            }
            var fileName = media.FileName ?? Path.GetFileName(file.FilePath);
            return MediaSourceResult.Downloaded(fileName, media.MimeType ?? MimeFor(fileName));
        }
        catch (ApiRequestException ex) when (ex.ErrorCode == 400)
        {
            // "file is too big" (no size in the update), "invalid file_id": asking again will not help.
            return MediaSourceResult.NotAvailable(ex.Message.Contains("too big", StringComparison.OrdinalIgnoreCase)
                ? TooBig(media.Size ?? 0) : options.Redact(ex.Message));
        }
        catch (Exception ex) when ((ex is RequestException or HttpRequestException) && !MediaTooLargeException.IsIn(ex))
        {
            // Transient: the chat grain retries with backoff. The text may come from a URL-bearing inner error.
            throw new HttpRequestException(options.Redact(ex.Message));
        }
    }

    private string TooBig(long size) => size > 0
        ? $"The file is {size / (1024.0 * 1024):0.#} MB; Telegram lets bots download files up to {options.MaxDownloadBytes >> 20} MB. The message is kept without it."
        : $"The file is larger than {options.MaxDownloadBytes >> 20} MB, the most Telegram lets bots download. The message is kept without it.";

    private static string MimeFor(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" => "image/jpeg",
        ".png" => "image/png",
        ".webp" => "image/webp",
        ".oga" or ".ogg" => "audio/ogg",
        ".mp3" => "audio/mpeg",
        ".m4a" => "audio/mp4",
        ".mp4" => "video/mp4",
        ".webm" => "video/webm",
        ".pdf" => "application/pdf",
        ".tgs" => "application/x-tgsticker",
        _ => "application/octet-stream",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram named the local file {Path}, outside {Folder}: not read, the message is kept without it")]
    private partial void LogLocalRefused(string path, string folder);
}
