using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Media;

namespace MessengerAutoReply.Archive.PocketBase;

/// <summary>
/// Media in PocketBase's <c>media</c> collection: a multipart create with our id and <c>platform</c>, read back
/// through <c>/api/files</c> with a file token (so a collection whose file field is protected works too).
/// </summary>
public sealed class PocketBaseMediaStore(PocketBaseClient client, PocketBaseSchema schema, TimeProvider time) : IMediaStore, IDisposable
{
    private const string MediaPath = "/api/collections/media/records";
    private readonly SemaphoreSlim _tokenLock = new(1, 1);

    public void Dispose() => _tokenLock.Dispose();
    private (string Token, DateTimeOffset Until)? _fileToken;

    public Task SaveAsync(string mediaId, MediaContent content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        return content.AlreadyStored ? Task.CompletedTask : CreateAsync(mediaId, content, () => new ReadOnlyMemoryContent(content.Bytes), cancellationToken);
    }

    /// <summary>Streams the spooled file into the multipart body (opened again on a retry), never whole in memory.</summary>
    public Task SaveFileAsync(string mediaId, MediaContent description, string path, CancellationToken cancellationToken) =>
        CreateAsync(mediaId, description,
            () => new StreamContent(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, useAsync: true), 64 * 1024),
            cancellationToken);

    private async Task CreateAsync(string mediaId, MediaContent content, Func<HttpContent> body, CancellationToken cancellationToken)
    {
        if (!ChatIds.IsValid(mediaId))
        {
            throw new ArgumentException($"'{mediaId}' is not a media id.", nameof(mediaId));
        }
        await schema.EnsureAsync(cancellationToken);
        using var response = await client.SendAsync(() =>
        {
            var form = new MultipartFormDataContent
            {
                { new StringContent(mediaId), "id" },
                { new StringContent(content.Platform), "platform" },
                { new StringContent(content.FileName), "fileName" },
                { new StringContent(content.MimeType), "mimeType" },
            };
            var file = body();
            file.Headers.ContentType = MediaTypeHeaderValue.TryParse(content.MimeType, out var type) ? type : new MediaTypeHeaderValue("application/octet-stream");
            form.Add(file, "file", string.IsNullOrWhiteSpace(content.FileName) ? mediaId : content.FileName);
            return new HttpRequestMessage(HttpMethod.Post, $"{MediaPath}?fields=id") { Content = form };
        }, cancellationToken);
        try
        {
            await client.EnsureSuccessAsync(response, cancellationToken);
        }
        catch (PocketBaseException ex) when (ex.Has("id", "validation_invalid_id"))
        {
            // Saved before (a retry, or the same file reported twice): saving is idempotent by id.
        }
    }

    public async Task<StoredMedia?> OpenAsync(string mediaId, CancellationToken cancellationToken)
    {
        if (!ChatIds.IsValid(mediaId))
        {
            return null;
        }
        try
        {
            var info = await schema.EnsureAsync(cancellationToken);
            MediaRecord record;
            using (var response = await client.SendAsync(() => new HttpRequestMessage(HttpMethod.Get, $"{MediaPath}/{mediaId}"), cancellationToken))
            {
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    return null;
                }
                await client.EnsureSuccessAsync(response, cancellationToken);
                record = (await response.Content.ReadFromJsonAsync<MediaRecord>(PocketBaseClient.Json, cancellationToken))!;
            }
            var url = $"/api/files/media/{Uri.EscapeDataString(record.Id)}/{Uri.EscapeDataString(record.File)}";
            if (info.MediaProtected)
            {
                url += "?token=" + Uri.EscapeDataString(await FileTokenAsync(cancellationToken));
            }
            var file = await client.Http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (file.StatusCode == HttpStatusCode.NotFound)
            {
                file.Dispose();
                return null;
            }
            await client.EnsureSuccessAsync(file, cancellationToken);
            // PocketBase sniffs the type from the bytes; what the platform said is kept in our own fields.
            var mimeType = ChatRecord.NullIfEmpty(record.MimeType) ?? file.Content.Headers.ContentType?.MediaType ?? "application/octet-stream";
            var fileName = ChatRecord.NullIfEmpty(record.FileName) ?? record.File;
            var stream = await file.Content.ReadAsStreamAsync(cancellationToken);
            return new StoredMedia(record.Id, fileName, mimeType, file.Content.Headers.ContentLength ?? -1, stream);
        }
        catch (Exception ex) when (ex is HttpRequestException or PocketBaseException or PocketBaseUnsupportedException
            or Polly.Timeout.TimeoutRejectedException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new ArchiveUnavailableException($"PocketBase: {ex.Message}", ex);
        }
    }

    /// <summary>File tokens live 120 s by default; one is reused for a minute.</summary>
    private async Task<string> FileTokenAsync(CancellationToken ct)
    {
        if (_fileToken is { } cached && time.GetUtcNow() < cached.Until)
        {
            return cached.Token;
        }
        await _tokenLock.WaitAsync(ct);
        try
        {
            if (_fileToken is { } again && time.GetUtcNow() < again.Until)
            {
                return again.Token;
            }
            var answer = await client.SendJsonAsync<FileToken>(HttpMethod.Post, "/api/files/token", null, ct);
            _fileToken = (answer.Token, time.GetUtcNow().AddSeconds(60));
            return answer.Token;
        }
        finally
        {
            _tokenLock.Release();
        }
    }

    private sealed record FileToken(string Token);
}
