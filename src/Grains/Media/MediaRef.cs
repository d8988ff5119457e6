using MessengerAutoReply.Chats;

namespace MessengerAutoReply.Media;

/// <summary>A file a platform told us about but we have not fetched yet.</summary>
[GenerateSerializer, Immutable, Alias("MessengerAutoReply.MediaRef")]
public sealed record MediaRef
{
    [Id(0)] public required string Platform { get; init; }
    /// <summary>What the platform's fetcher needs: a Telegram file_id, a Brevo attachment URL.</summary>
    [Id(1)] public required string PlatformFileId { get; init; }
    /// <summary>A stable identity of the file where the platform has one (Telegram's file_unique_id).</summary>
    [Id(2)] public string? UniqueId { get; init; }
    [Id(3)] public string? FileName { get; init; }
    [Id(4)] public string? MimeType { get; init; }
    [Id(5)] public long? Size { get; init; }
    /// <summary>Length of a voice note or audio, where the platform says (MAX_VOICE_SECONDS caps transcription).</summary>
    [Id(6)] public int? DurationSeconds { get; init; }

    public string MediaId => ChatIds.ForMedia(Platform, UniqueId ?? PlatformFileId);
}

/// <summary>Downloads a platform's file. One per platform; HTTP stays here.</summary>
public interface IMediaFetcher
{
    string Platform { get; }

    /// <summary>The file, or a result saying why it cannot be had (too big, gone). Throws on a transient failure.</summary>
    Task<MediaFetchResult> FetchAsync(MediaRef media, CancellationToken cancellationToken);
}

[GenerateSerializer, Immutable, Alias("MessengerAutoReply.MediaFetchResult")]
public sealed record MediaFetchResult
{
    [Id(0)] public MediaContent? Content { get; init; }
    /// <summary>Why there is no content: kept on the message so operators know.</summary>
    [Id(1)] public string? Unavailable { get; init; }

    public static MediaFetchResult Of(MediaContent content) => new() { Content = content };
    public static MediaFetchResult NotAvailable(string reason) => new() { Unavailable = reason };
}
