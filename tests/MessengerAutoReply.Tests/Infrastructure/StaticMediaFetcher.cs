using System.Collections.Concurrent;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Media;

namespace MessengerAutoReply.Tests.Infrastructure;

/// <summary>Serves files registered by the test; the platforms' real fetchers are tested against their fakes.</summary>
public sealed class StaticMediaFetcher(string platform = Platforms.Telegram) : IMediaFetcher
{
    public ConcurrentDictionary<string, MediaFetchResult> Files { get; } = new();

    public int FailuresBeforeSuccess { get; set; }

    public string Platform => platform;

    public Task<MediaFetchResult> FetchAsync(MediaRef media, CancellationToken cancellationToken)
    {
        if (FailuresBeforeSuccess > 0)
        {
            FailuresBeforeSuccess--;
            throw new HttpRequestException("502 Bad Gateway");
        }
        return Task.FromResult(Files.TryGetValue(media.PlatformFileId, out var result) ? result : MediaFetchResult.NotAvailable("Bad Request: invalid file_id"));
    }
}
