using System.Text.Json;
using MessengerAutoReply.Chats;

namespace MessengerAutoReply.Media;

/// <summary>The embedded media store: <c>DATA_DIR/media/{id}</c> holds the bytes, <c>{id}.json</c> what they are.</summary>
public sealed class FileMediaStore(string directory) : IMediaStore
{
    public async Task SaveAsync(string mediaId, MediaContent content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        if (content.AlreadyStored || Prepare(mediaId) is not { } paths)
        {
            return;
        }
        // Write to temp names and move: a crash never leaves a half file that looks complete.
        var temp = paths.Data + "." + Guid.NewGuid().ToString("N") + ".tmp";
        await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
        {
            await file.WriteAsync(content.Bytes, cancellationToken);
        }
        File.Move(temp, paths.Data, overwrite: true);
        await WriteMetaAsync(paths.Meta, content, content.Bytes.Length, cancellationToken);
    }

    public async Task SaveFileAsync(string mediaId, MediaContent description, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(description);
        if (Prepare(mediaId) is not { } paths)
        {
            return;
        }
        var length = new FileInfo(path).Length;
        // A rename when the download was spooled on the same disk (DATA_DIR): no second copy of the bytes.
        File.Move(path, paths.Data, overwrite: true);
        await WriteMetaAsync(paths.Meta, description, length, cancellationToken);
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

    /// <summary>The data and meta paths, or null when the file is stored already.</summary>
    private (string Data, string Meta)? Prepare(string mediaId)
    {
        if (!ChatIds.IsValid(mediaId))
        {
            throw new ArgumentException($"'{mediaId}' is not a media id.", nameof(mediaId));
        }
        Directory.CreateDirectory(directory);
        var dataPath = Path.Combine(directory, mediaId);
        var metaPath = dataPath + ".json";
        return File.Exists(metaPath) ? null : (dataPath, metaPath);
    }

    /// <summary>The meta file goes last: its presence says the data file is complete.</summary>
    private static async Task WriteMetaAsync(string metaPath, MediaContent content, long length, CancellationToken cancellationToken)
    {
        var temp = metaPath + "." + Guid.NewGuid().ToString("N") + ".tmp";
        var meta = new Meta(content.FileName, content.MimeType, content.Platform, length);
        await File.WriteAllTextAsync(temp, JsonSerializer.Serialize(meta), cancellationToken);
        File.Move(temp, metaPath, overwrite: true);
    }

    private sealed record Meta(string FileName, string MimeType, string Platform, long Length);
}
