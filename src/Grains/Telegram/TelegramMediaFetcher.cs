using MessengerAutoReply.Chats;
using MessengerAutoReply.Media;
using MessengerAutoReply.Security;
using Microsoft.Extensions.Logging;
using Telegram.Bot;
using Telegram.Bot.Exceptions;

namespace MessengerAutoReply.Telegram;

/// <summary>getFile, then the file download, both through the SDK. Too big or unknown files are a permanent "not available".</summary>
public sealed partial class TelegramMediaFetcher(TelegramClients clients, TelegramOptions options, ILogger<TelegramMediaFetcher> logger) : IMediaFetcher
{
    public string Platform => Platforms.Telegram;

    public async Task<MediaFetchResult> FetchAsync(MediaRef media, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(media);
        if (media.Size > options.MaxDownloadBytes)
        {
            return MediaFetchResult.NotAvailable(TooBig(media.Size.Value));
        }
        var client = clients.Get();
        try
        {
            var file = await client.GetFile(media.PlatformFileId, cancellationToken);
            if (string.IsNullOrEmpty(file.FilePath))
            {
                return MediaFetchResult.NotAvailable("Telegram returned no file path for this file.");
            }
            byte[] bytes;
            if (Path.IsPathRooted(file.FilePath))
            {
                // A local Bot API server (--local) answers with a path on its own disk: read only inside its folder.
                var local = options.LocalFilesDir is null ? null : ContainedPath.ResolveFileUnder(options.LocalFilesDir, file.FilePath);
                if (local is null)
                {
                    LogLocalRefused(file.FilePath, options.LocalFilesDir ?? "(TELEGRAM_LOCAL_FILES_DIR unset)");
                    return MediaFetchResult.NotAvailable(options.LocalFilesDir is null
                        ? "The Bot API server named a file on its disk, and TELEGRAM_LOCAL_FILES_DIR is not set; the file was not read."
                        : "The Bot API server named a file outside TELEGRAM_LOCAL_FILES_DIR; the file was not read.");
                }
                if (new FileInfo(local).Length > options.MaxDownloadBytes)
                {
                    return MediaFetchResult.NotAvailable(TooBig(new FileInfo(local).Length));
                }
                bytes = await File.ReadAllBytesAsync(local, cancellationToken);
            }
            else
            {
                using var buffer = new MemoryStream();
                await client.DownloadFile(file.FilePath, buffer, cancellationToken);
                bytes = buffer.ToArray();
            }
            var fileName = media.FileName ?? Path.GetFileName(file.FilePath);
            var mime = media.MimeType ?? MimeFor(fileName);
            return MediaFetchResult.Of(new MediaContent(Platforms.Telegram, fileName, mime, bytes));
        }
        catch (ApiRequestException ex) when (ex.ErrorCode == 400)
        {
            // "file is too big" (no size in the update), "invalid file_id": asking again will not help.
            return MediaFetchResult.NotAvailable(ex.Message.Contains("too big", StringComparison.OrdinalIgnoreCase)
                ? TooBig(media.Size ?? 0) : options.Redact(ex.Message));
        }
        catch (Exception ex) when (ex is RequestException or HttpRequestException)
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
