namespace MessengerAutoReply.Media;

/// <summary>
/// Which stored files a browser may render on our origin. The declared MIME type comes from the customer (a
/// Telegram document's mime_type, Brevo's mimeType or CDN header), so it is believed only when the file's first
/// bytes carry that format's signature, and only for formats browsers render without script: JPEG, PNG, GIF,
/// WebP, and common audio and video. SVG, HTML, XML, PDF and everything else go out as attachments.
/// </summary>
public static class InlineMediaPolicy
{
    /// <summary>How many leading bytes <see cref="InlineType"/> looks at.</summary>
    public const int SniffLength = 16;

    /// <summary>The type to serve inline, or null: serve as an attachment.</summary>
    public static string? InlineType(string? declaredMimeType, ReadOnlySpan<byte> head)
    {
        var declared = Normalize(declaredMimeType);
        return declared is not null && Matches(declared, head) ? declared : null;
    }

    private static string? Normalize(string? mimeType)
    {
        if (string.IsNullOrWhiteSpace(mimeType))
        {
            return null;
        }
        var semicolon = mimeType.IndexOf(';', StringComparison.Ordinal);
        return (semicolon >= 0 ? mimeType[..semicolon] : mimeType).Trim().ToLowerInvariant();
    }

    private static bool Matches(string type, ReadOnlySpan<byte> b) => type switch
    {
        "image/jpeg" or "image/jpg" or "image/pjpeg" => b.StartsWith((ReadOnlySpan<byte>)[0xFF, 0xD8, 0xFF]),
        "image/png" => b.StartsWith((ReadOnlySpan<byte>)[0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]),
        "image/gif" => b.StartsWith("GIF87a"u8) || b.StartsWith("GIF89a"u8),
        "image/webp" => Riff(b, "WEBP"u8),
        "audio/ogg" or "audio/opus" or "video/ogg" or "application/ogg" => b.StartsWith("OggS"u8),
        "audio/mpeg" or "audio/mp3" => b.StartsWith("ID3"u8) || MpegFrame(b),
        "audio/mp4" or "audio/m4a" or "audio/x-m4a" or "audio/aac" when IsoMedia(b) => true,
        "audio/aac" or "audio/aacp" => b.Length >= 2 && b[0] == 0xFF && (b[1] & 0xF6) == 0xF0,
        "video/mp4" or "video/quicktime" or "video/3gpp" or "audio/3gpp" => IsoMedia(b),
        "video/webm" or "audio/webm" or "video/x-matroska" => b.StartsWith((ReadOnlySpan<byte>)[0x1A, 0x45, 0xDF, 0xA3]),
        "audio/wav" or "audio/x-wav" or "audio/wave" or "audio/vnd.wave" => Riff(b, "WAVE"u8),
        "audio/flac" or "audio/x-flac" => b.StartsWith("fLaC"u8),
        "audio/amr" => b.StartsWith("#!AMR"u8),
        _ => false,
    };

    private static bool Riff(ReadOnlySpan<byte> b, ReadOnlySpan<byte> form) =>
        b.Length >= 12 && b.StartsWith("RIFF"u8) && b.Slice(8, 4).SequenceEqual(form);

    /// <summary>ISO base media (MP4, M4A, MOV, 3GP): a box size, then <c>ftyp</c>.</summary>
    private static bool IsoMedia(ReadOnlySpan<byte> b) => b.Length >= 8 && b.Slice(4, 4).SequenceEqual("ftyp"u8);

    /// <summary>An MPEG audio frame header: 11 sync bits, a valid version and layer.</summary>
    private static bool MpegFrame(ReadOnlySpan<byte> b) =>
        b.Length >= 2 && b[0] == 0xFF && (b[1] & 0xE0) == 0xE0 && (b[1] & 0x18) != 0x08 && (b[1] & 0x06) != 0;
}
