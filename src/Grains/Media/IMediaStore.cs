namespace MessengerAutoReply.Media;

/// <summary>
/// Where voice notes, images and documents are kept (files under the data folder in the embedded default,
/// PocketBase's <c>media</c> collection when configured). Saving is idempotent by media id.
/// </summary>
public interface IMediaStore
{
    /// <summary>Stores the file under <paramref name="mediaId"/> (see <c>ChatIds.ForMedia</c>); a second save of the same id is a no-op.</summary>
    Task SaveAsync(string mediaId, MediaContent content, CancellationToken cancellationToken);

    /// <summary>The file, or null when no media has that id. The caller disposes the stream.</summary>
    Task<StoredMedia?> OpenAsync(string mediaId, CancellationToken cancellationToken);
}

/// <summary>A file to store, with what the platform said about it.</summary>
[GenerateSerializer, Immutable, Alias("MessengerAutoReply.MediaContent")]
public sealed record MediaContent(
    [property: Id(0)] string Platform,
    [property: Id(1)] string FileName,
    [property: Id(2)] string MimeType,
    [property: Id(3)] ReadOnlyMemory<byte> Bytes);

public sealed record StoredMedia(string Id, string FileName, string MimeType, long Length, Stream Content) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Content.DisposeAsync();
}
