using MessengerAutoReply.Media;
using MessengerAutoReply.Tests.Infrastructure;

namespace MessengerAutoReply.Tests.Security;

/// <summary>
/// The platform-independent part of the media path, attacked directly: a download step that writes past the cap
/// (the way a Brevo CDN answer without Content-Length does), one whose SDK wraps the cap's exception, and many
/// chats asking for one file at the same moment.
/// </summary>
public sealed class MediaDownloadCapTests : IDisposable
{
    private readonly TempDir _dir = new();
    private readonly CancellationToken _ct = TestContext.Current.CancellationToken;

    public void Dispose() => _dir.Dispose();

    private static MediaRef Ref(string id) => new() { Platform = "brevo", PlatformFileId = $"https://files.example/{id}", FileName = "a.bin", MimeType = "application/octet-stream" };

    [Fact]
    public async Task A_body_longer_than_the_cap_is_cut_off_and_nothing_is_kept()
    {
        using var downloads = TestMediaDownloads.In(_dir.Path, maxBytes: 64 * 1024);
        var written = 0L;
        var result = await downloads.FetchAsync(Ref("big"), async (destination, ct) =>
        {
            var chunk = new byte[8 * 1024];
            for (var i = 0; i < 100; i++)
            {
                await destination.WriteAsync(chunk, ct);
                written += chunk.Length;
            }
            return MediaSourceResult.Downloaded("a.bin", "application/octet-stream");
        }, _ct);

        Assert.Null(result.Content);
        Assert.Contains("MEDIA_MAX_BYTES", result.Unavailable, StringComparison.Ordinal);
        Assert.Equal(64 * 1024, written);
        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "media")) && Directory.EnumerateFileSystemEntries(Path.Combine(_dir.Path, "media")).Any());
        Assert.Empty(Directory.GetFiles(Path.Combine(_dir.Path, "media-incoming")));
    }

    [Fact]
    public async Task The_cap_is_recognised_inside_an_SDK_exception()
    {
        using var downloads = TestMediaDownloads.In(_dir.Path, maxBytes: 1024);
        var result = await downloads.FetchAsync(Ref("wrapped"), async (destination, ct) =>
        {
            try
            {
                await destination.WriteAsync(new byte[2048], ct);
            }
            catch (IOException ex)
            {
                throw new HttpRequestException("download failed", ex);
            }
            return MediaSourceResult.Downloaded("a.bin", "application/octet-stream");
        }, _ct);
        Assert.Contains("MEDIA_MAX_BYTES", result.Unavailable, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Twenty_chats_asking_for_one_file_at_once_download_it_once()
    {
        using var downloads = TestMediaDownloads.In(_dir.Path);
        var calls = 0;
        var release = new TaskCompletionSource();
        var asks = Enumerable.Range(0, 20).Select(_ => downloads.FetchAsync(Ref("shared"), async (destination, ct) =>
        {
            Interlocked.Increment(ref calls);
            await release.Task.WaitAsync(ct);
            await destination.WriteAsync("%PDF-1.4"u8.ToArray(), ct);
            return MediaSourceResult.Downloaded("a.pdf", "application/pdf");
        }, _ct)).ToList();
        release.SetResult();
        var results = await Task.WhenAll(asks);

        Assert.Equal(1, calls);
        Assert.All(results, r => Assert.True(r.Content?.AlreadyStored));
        // Asked again later: from the store, not downloaded.
        var later = await downloads.FetchAsync(Ref("shared"), (_, _) => throw new InvalidOperationException("downloaded again"), _ct);
        Assert.Equal("a.pdf", later.Content!.FileName);
    }
}
