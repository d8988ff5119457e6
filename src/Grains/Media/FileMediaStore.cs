using System.Text.Json;
using MessengerAutoReply.Chats;

namespace MessengerAutoReply.Media;

/// <summary>The embedded media store: <c>DATA_DIR/media/{id}</c> holds the bytes, <c>{id}.json</c> what they are.</summary>
public sealed class FileMediaStore(string directory) : IMediaStore
{
    public async Task SaveAsync(string mediaId, MediaContent content, CancellationToken cancellationToken)
    {
        if (!ChatIds.IsValid(mediaId))
        {
            throw new ArgumentException($"'{mediaId}' is not a media id.", nameof(mediaId));
        }
        Directory.CreateDirectory(directory);
        var dataPath = Path.Combine(directory, mediaId);
        var metaPath = dataPath + ".json";
        if (File.Exists(metaPath))
        {
            return;
        }
        // Write to temp names and move: a crash never leaves a half file that looks complete.
        var temp = dataPath + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await File.WriteAllBytesAsync(temp, content.Bytes.ToArray(), cancellationToken);
        File.Move(temp, dataPath, overwrite: true);
        var meta = new Meta(content.FileName, content.MimeType, content.Platform, content.Bytes.Length);
        await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(meta), cancellationToken);
        File.Move(temp, metaPath, overwrite: true);
    }

    public async Task<StoredMedia?> OpenAsync(string mediaId, CancellationToken cancellationToken)
    {
        if (!ChatIds.IsValid(mediaId))
        {
            return null;
        }
        var dataPath = Path.Combine(directory, mediaId);
        var metaPath = dataPath + ".json";
        if (!File.Exists(metaPath))
        {
            return null;
        }
        var meta = JsonSerializer.Deserialize<Meta>(await File.ReadAllTextAsync(metaPath, cancellationToken))!;
        var stream = new FileStream(dataPath, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true);
        return new StoredMedia(mediaId, meta.FileName, meta.MimeType, stream.Length, stream);
    }

    private sealed record Meta(string FileName, string MimeType, string Platform, long Length);
}
