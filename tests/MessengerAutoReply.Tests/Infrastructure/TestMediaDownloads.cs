using MessengerAutoReply.Media;
using Microsoft.Extensions.Logging.Abstractions;

namespace MessengerAutoReply.Tests.Infrastructure;

/// <summary>A <see cref="MediaDownloads"/> over a file media store in <paramref name="folder"/>, for fetcher tests.</summary>
public static class TestMediaDownloads
{
    public static MediaDownloads In(string folder, long maxBytes = MediaOptions.DefaultMaxBytes, int maxConcurrent = 4) =>
        new(new FileMediaStore(Path.Combine(folder, "media")),
            new MediaOptions { MaxBytes = maxBytes, MaxConcurrentDownloads = maxConcurrent, SpoolDirectory = Path.Combine(folder, "media-incoming") },
            NullLogger<MediaDownloads>.Instance);
}
