namespace MessengerAutoReply.Media;

/// <summary>
/// Where voice notes, images and documents are kept (files under the data folder in the embedded default,
/// PocketBase's <c>media</c> collection when configured). Saving is idempotent by media id.
/// </summary>
public interface IMediaStore
{
    /// <summary>Stores the file under <paramref name="mediaId"/> (see <c>ChatIds.ForMedia</c>); a second save of the same id is a no-op.</summary>
    /// <remarks>Content marked <see cref="MediaContent.AlreadyStored"/> is not written again.</remarks>
    Task SaveAsync(string mediaId, MediaContent content, CancellationToken cancellationToken);

    /// <summary>
    /// Stores the file at <paramref name="path"/> (a finished download on local disk) under <paramref name="mediaId"/>,
    /// streaming it, with the name and type <paramref name="description"/> gives (its bytes are not used). The store
    /// may move the file away; a second save of the same id is a no-op.
    /// </summary>
    Task SaveFileAsync(string mediaId, MediaContent description, string path, CancellationToken cancellationToken);

    /// <summary>The file, or null when no media has that id. The caller disposes the stream.</summary>
    Task<StoredMedia?> OpenAsync(string mediaId, CancellationToken cancellationToken);
}

/// <summary>A file to store, with what the platform said about it.</summary>
[GenerateSerializer, Immutable, Alias("MessengerAutoReply.MediaContent")]
public sealed record MediaContent(
    [property: Id(0)] string Platform,
    [property: Id(1)] string FileName,
    [property: Id(2)] string MimeType,
    [property: Id(3)] ReadOnlyMemory<byte> Bytes)
{
    /// <summary>
    /// The file is already in the media store under its media id (put there by <see cref="MediaDownloads"/> as it
    /// streamed in): saving it again is a no-op, and <see cref="Bytes"/> is empty unless the AI may read it.
    /// </summary>
    [Id(200)] public bool AlreadyStored { get; init; }
}

public sealed record StoredMedia(string Id, string FileName, string MimeType, long Length, Stream Content) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Content.DisposeAsync();
}
