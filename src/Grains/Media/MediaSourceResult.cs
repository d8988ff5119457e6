namespace MessengerAutoReply.Media;

/// <summary>What a platform's download step reports to <see cref="MediaDownloads"/>: the file's name and type, or why there is none.</summary>
public sealed record MediaSourceResult
{
    public string? FileName { get; init; }
    public string? MimeType { get; init; }
    public string? Unavailable { get; init; }

    public static MediaSourceResult Downloaded(string fileName, string mimeType) => new() { FileName = fileName, MimeType = mimeType };
    public static MediaSourceResult NotAvailable(string reason) => new() { Unavailable = reason };
}
