using MessengerAutoReply.Chats;
using MessengerAutoReply.Media;

namespace MessengerAutoReply.Brevo;

/// <summary>Turns a Conversations webhook into the common model (reference 2.4-2.7).</summary>
public static class BrevoNormalizer
{
    public static string SourceOf(string? visitorSource)
    {
        var source = visitorSource?.Trim().ToLowerInvariant();
        if (string.IsNullOrEmpty(source))
        {
            // Brevo did not say which channel: the chat still belongs somewhere visible.
            return Platforms.Brevo;
        }
        // The exact spellings are unverified; anything naming Instagram is Instagram, the rest keeps its name.
        return source.Contains(Sources.Instagram, StringComparison.Ordinal) ? Sources.Instagram : source;
    }

    public static ChatAddress ChatOf(BrevoVisitor visitor) => new()
    {
        Source = SourceOf(visitor.Source),
        Platform = Platforms.Brevo,
        PlatformChatId = visitor.Id,
        Name = visitor.DisplayedName,
    };

    /// <summary>The event's messages in the order they were written (fragments may list them out of order).</summary>
    public static IReadOnlyList<InboundMessage> Normalize(BrevoWebhookEvent e, string ourLabel)
    {
        if (e.Visitor is null)
        {
            return [];
        }
        var chat = ChatOf(e.Visitor);
        var result = new List<InboundMessage>(e.Messages.Count);
        foreach (var message in e.Messages.OrderBy(m => m.CreatedAt ?? 0))
        {
            result.AddRange(Normalize(message, chat, e.Visitor, ourLabel));
        }
        return result;
    }

    private static IEnumerable<InboundMessage> Normalize(BrevoMessage m, ChatAddress chat, BrevoVisitor visitor, string ourLabel)
    {
        var ownEcho = m.IsAgent && string.Equals(m.ReceivedFrom, ourLabel, StringComparison.Ordinal);
        // Triggers, pushed notices, Brevo's bot and other API integrations speak for the business, but no
        // human wrote them: stored as outgoing, never a takeover.
        var automated = !ownEcho && (m.IsPushed || m.IsTrigger || m.IsBot || (m.IsAgent && m.ReceivedFrom is not null));
        var common = new InboundMessage
        {
            Chat = chat,
            PlatformMessageId = m.Id,
            Timestamp = m.CreatedAt is { } ms and > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : default,
            SenderId = m.IsAgent ? m.AgentId ?? "" : visitor.Id,
            SenderName = m.IsAgent ? m.AgentName : visitor.DisplayedName,
            FromAgent = m.IsAgent || automated,
            IsOwnEcho = ownEcho,
            Automated = automated,
        };
        if (m.Files.Count == 0)
        {
            if (string.IsNullOrWhiteSpace(m.Text))
            {
                // Nothing a person could read (a status notice, a shape we do not know): not a message.
                yield break;
            }
            yield return common with { Content = m.Text };
            yield break;
        }
        for (var i = 0; i < m.Files.Count; i++)
        {
            var file = m.Files[i];
            var fileName = file.Name ?? FileNameOf(file.Link);
            var mimeType = file.MimeType ?? GuessMimeType(fileName);
            // For a file message Brevo puts the file name in text; anything else is a caption worth keeping.
            var caption = i == 0 && !string.IsNullOrWhiteSpace(m.Text) && !string.Equals(m.Text.Trim(), fileName, StringComparison.Ordinal)
                ? m.Text
                : null;
            yield return common with
            {
                PlatformMessageId = i == 0 ? m.Id : $"{m.Id}#{i}",
                Type = TypeOf(file, mimeType),
                Content = caption,
                FileName = fileName,
                MimeType = mimeType,
                Media = new MediaRef
                {
                    Platform = Platforms.Brevo,
                    PlatformFileId = file.Link,
                    FileName = fileName,
                    MimeType = mimeType,
                    Size = file.Size,
                },
            };
        }
    }

    private static string TypeOf(BrevoFile file, string? mimeType) =>
        file.IsSticker ? MessageTypes.Sticker
        : file.IsImage || mimeType?.StartsWith("image/", StringComparison.OrdinalIgnoreCase) == true ? MessageTypes.Image
        // Instagram's voice notes arrive as audio files: voice is what gets transcribed.
        : mimeType?.StartsWith("audio/", StringComparison.OrdinalIgnoreCase) == true ? MessageTypes.Voice
        : mimeType?.StartsWith("video/", StringComparison.OrdinalIgnoreCase) == true ? MessageTypes.Video
        : MessageTypes.Document;

    private static string FileNameOf(string link)
    {
        var name = Uri.TryCreate(link, UriKind.Absolute, out var uri) ? Uri.UnescapeDataString(uri.Segments[^1].Trim('/')) : "";
        return name.Length > 0 ? name : "file";
    }

    private static string? GuessMimeType(string fileName) => Path.GetExtension(fileName).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" => "image/jpeg",
        ".png" => "image/png",
        ".gif" => "image/gif",
        ".webp" => "image/webp",
        ".mp4" => "video/mp4",
        ".m4a" => "audio/mp4",
        ".mp3" => "audio/mpeg",
        ".ogg" or ".oga" => "audio/ogg",
        ".aac" => "audio/aac",
        ".wav" => "audio/wav",
        ".pdf" => "application/pdf",
        _ => null,
    };
}
