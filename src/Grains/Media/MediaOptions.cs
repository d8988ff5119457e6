using MessengerAutoReply.Hosting;

namespace MessengerAutoReply.Media;

/// <summary>How customers' files are brought in: a byte cap per file and a limit on downloads at once.</summary>
public sealed class MediaOptions
{
    /// <summary>MEDIA_MAX_BYTES: the largest file kept (default 20 MiB, what Telegram lets bots download).</summary>
    public long MaxBytes { get; init; } = DefaultMaxBytes;

    /// <summary>MEDIA_MAX_CONCURRENT_DOWNLOADS: downloads running at once in this process, across all chats.</summary>
    public int MaxConcurrentDownloads { get; init; } = 4;

    /// <summary>Where a download is spooled before it goes into the media store (under DATA_DIR).</summary>
    public required string SpoolDirectory { get; init; }

    public const long DefaultMaxBytes = 20L << 20;

    public static MediaOptions Load(SettingsReader read, string dataDir)
    {
        ArgumentNullException.ThrowIfNull(read);
        return new MediaOptions
        {
            MaxBytes = read.Int("MEDIA_MAX_BYTES", (int)DefaultMaxBytes, 1024, int.MaxValue),
            MaxConcurrentDownloads = read.Int("MEDIA_MAX_CONCURRENT_DOWNLOADS", 4, 1, 256),
            SpoolDirectory = Path.Combine(dataDir, "media-incoming"),
        };
    }
}
