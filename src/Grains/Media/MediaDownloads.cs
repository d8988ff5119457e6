using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Media;

/// <summary>
/// The one way a customer's file comes into the media store, whatever the platform. A file already stored under
/// its media id (Telegram's file_unique_id, Brevo's link) is not fetched again, and the same file asked for by
/// several chats at once is fetched once. Otherwise the platform's download step writes into a spool file on disk
/// through a byte counter that stops at <see cref="MediaOptions.MaxBytes"/>, and the spool file goes into the
/// store: no whole file is held in memory, except an image or audio file the AI may read (under the same cap).
/// At most <see cref="MediaOptions.MaxConcurrentDownloads"/> downloads run at once in the process.
/// </summary>
public sealed partial class MediaDownloads : IDisposable
{
    private readonly IMediaStore _store;
    private readonly MediaOptions _options;
    private readonly ILogger<MediaDownloads> _logger;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentDictionary<string, Task<MediaFetchResult>> _running = new(StringComparer.Ordinal);

    public MediaDownloads(IMediaStore store, MediaOptions options, ILogger<MediaDownloads> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _options = options;
        _logger = logger;
        _slots = new SemaphoreSlim(options.MaxConcurrentDownloads, options.MaxConcurrentDownloads);
        SweepSpool(TimeSpan.FromHours(1));
    }

    public MediaOptions Options => _options;

    /// <summary>Downloads running now (waiting for a slot not counted).</summary>
    public int Active => _options.MaxConcurrentDownloads - _slots.CurrentCount;

    public void Dispose() => _slots.Dispose();

    /// <summary>
    /// The file of <paramref name="media"/>: from the store when it is there, else from <paramref name="download"/>,
    /// which copies the platform's bytes into the stream it is given (a stream that throws once the cap is passed).
    /// <paramref name="platformLimit"/> is the platform's own limit where it is lower than MEDIA_MAX_BYTES.
    /// </summary>
    public Task<MediaFetchResult> FetchAsync(MediaRef media, Func<Stream, CancellationToken, Task<MediaSourceResult>> download,
        CancellationToken cancellationToken, long? platformLimit = null)
    {
        ArgumentNullException.ThrowIfNull(media);
        ArgumentNullException.ThrowIfNull(download);
        var max = Math.Min(_options.MaxBytes, platformLimit ?? long.MaxValue);
        if (media.Size > max)
        {
            LogTooLarge(media.Platform, media.MediaId, max);
            return Task.FromResult(MediaFetchResult.NotAvailable(TooLarge(media.Size, max)));
        }
        var mediaId = media.MediaId;
        while (true)
        {
            if (_running.TryGetValue(mediaId, out var running))
            {
                // Another chat is fetching the same file: share its result.
                return running.WaitAsync(cancellationToken);
            }
            var mine = new TaskCompletionSource<MediaFetchResult>(TaskCreationOptions.RunContinuationsAsynchronously);
            if (_running.TryAdd(mediaId, mine.Task))
            {
                _ = RunAsync(media, mediaId, max, download, mine, cancellationToken);
                return mine.Task;
            }
        }
    }

    private async Task RunAsync(MediaRef media, string mediaId, long max, Func<Stream, CancellationToken, Task<MediaSourceResult>> download,
        TaskCompletionSource<MediaFetchResult> result, CancellationToken cancellationToken)
    {
        try
        {
            result.SetResult(await FetchOnceAsync(media, mediaId, max, download, cancellationToken));
        }
        catch (OperationCanceledException ex)
        {
            result.SetCanceled(ex.CancellationToken);
        }
        catch (Exception ex)
        {
            result.SetException(ex);
        }
        finally
        {
            _running.TryRemove(new KeyValuePair<string, Task<MediaFetchResult>>(mediaId, result.Task));
        }
    }

    private async Task<MediaFetchResult> FetchOnceAsync(MediaRef media, string mediaId, long max,
        Func<Stream, CancellationToken, Task<MediaSourceResult>> download, CancellationToken cancellationToken)
    {
        if (await FromStoreAsync(media, mediaId, max, cancellationToken) is { } stored)
        {
            LogReused(media.Platform, mediaId);
            return stored;
        }
        await _slots.WaitAsync(cancellationToken);
        var spool = Path.Combine(_options.SpoolDirectory, $"{mediaId}.{Guid.NewGuid():N}.part");
        try
        {
            Directory.CreateDirectory(_options.SpoolDirectory);
            MediaSourceResult source;
            await using (var file = new FileStream(spool, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
            {
                var capped = new CappedWriteStream(file, max);
                try
                {
                    source = await download(capped, cancellationToken);
                }
                catch (Exception ex) when (MediaTooLargeException.IsIn(ex))
                {
                    LogTooLarge(media.Platform, mediaId, max);
                    return MediaFetchResult.NotAvailable(TooLarge(null, max));
                }
                await file.FlushAsync(cancellationToken);
            }
            if (source.Unavailable is { } reason)
            {
                return MediaFetchResult.NotAvailable(reason);
            }
            var fileName = source.FileName ?? media.FileName ?? "file";
            var mimeType = source.MimeType ?? media.MimeType ?? "application/octet-stream";
            // The AI reads images and audio whole (transcription, description); nothing else is loaded.
            var bytes = ForAi(mimeType) ? await File.ReadAllBytesAsync(spool, cancellationToken) : ReadOnlyMemory<byte>.Empty;
            var description = new MediaContent(media.Platform, fileName, mimeType, bytes) { AlreadyStored = true };
            await _store.SaveFileAsync(mediaId, description, spool, cancellationToken);
            return MediaFetchResult.Of(description);
        }
        finally
        {
            _slots.Release();
            try
            {
                File.Delete(spool);
            }
            catch (IOException)
            {
                // A spool file left behind is swept at the next start (its name ends in .part).
            }
        }
    }

    private async Task<MediaFetchResult?> FromStoreAsync(MediaRef media, string mediaId, long max, CancellationToken cancellationToken)
    {
        await using var stored = await _store.OpenAsync(mediaId, cancellationToken);
        if (stored is null)
        {
            return null;
        }
        var bytes = ReadOnlyMemory<byte>.Empty;
        if (ForAi(stored.MimeType))
        {
            using var buffer = new MemoryStream();
            await stored.Content.CopyToAsync(new CappedWriteStream(buffer, max), cancellationToken);
            bytes = buffer.ToArray();
        }
        return MediaFetchResult.Of(new MediaContent(media.Platform, stored.FileName, stored.MimeType, bytes) { AlreadyStored = true });
    }

    /// <summary>
    /// Removes spool files a crash left behind; called once at start. Only old ones: another process sharing
    /// DATA_DIR may be writing a fresh one.
    /// </summary>
    private void SweepSpool(TimeSpan olderThan)
    {
        if (!Directory.Exists(_options.SpoolDirectory))
        {
            return;
        }
        foreach (var part in Directory.EnumerateFiles(_options.SpoolDirectory, "*.part"))
        {
            try
            {
                if (DateTime.UtcNow - File.GetLastWriteTimeUtc(part) > olderThan)
                {
                    File.Delete(part);
                }
            }
            catch (IOException)
            {
                // Another process sharing DATA_DIR may be writing it.
            }
        }
    }

    private static bool ForAi(string? mimeType) =>
        mimeType is not null && (mimeType.StartsWith("image/", StringComparison.OrdinalIgnoreCase) || mimeType.StartsWith("audio/", StringComparison.OrdinalIgnoreCase));

    private static string TooLarge(long? size, long max)
    {
        var limit = max >= 1 << 20 ? $"{max / (1024.0 * 1024):0.#} MB" : $"{max} bytes";
        return size is > 0
            ? $"The file is {size.Value / (1024.0 * 1024):0.#} MB, larger than the {limit} kept (MEDIA_MAX_BYTES); the message is kept without it."
            : $"The file is larger than the {limit} kept (MEDIA_MAX_BYTES); the message is kept without it.";
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "A {Platform} file ({MediaId}) is larger than {MaxBytes} bytes (MEDIA_MAX_BYTES or the platform's limit): not kept, the message is stored without it")]
    private partial void LogTooLarge(string platform, string mediaId, long maxBytes);

    [LoggerMessage(Level = LogLevel.Debug, Message = "A {Platform} file ({MediaId}) is already stored: not downloaded again")]
    private partial void LogReused(string platform, string mediaId);
}
