namespace MessengerAutoReply.Chats;

[GenerateSerializer, Immutable, Alias("MessengerAutoReply.MediaOutcome")]
public sealed record MediaOutcome
{
    [Id(0)] public string? MediaFileId { get; init; }
    [Id(1)] public string? FileName { get; init; }
    [Id(2)] public string? MimeType { get; init; }
    [Id(3)] public string? Error { get; init; }
    /// <summary>Retrying cannot help (too big, gone): keep the message without its file.</summary>
    [Id(4)] public bool Permanent { get; init; }
    /// <summary>What the file says: a voice note's transcript, an image's description (with its caption).</summary>
    [Id(5)] public string? Content { get; init; }
}
