using System.Globalization;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Media;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;
using TgChat = Telegram.Bot.Types.Chat;

namespace MessengerAutoReply.Telegram;

/// <summary>
/// Turns a Bot API update into the common message model. Pure: no I/O, never throws for an unusual message;
/// anything a customer can send becomes a stored message with a type and a readable content.
/// </summary>
public static class TelegramUpdateMapper
{
    /// <summary>The update kinds the service asks Telegram for (getUpdates and setWebhook).</summary>
    public static readonly UpdateType[] AllowedUpdates = [UpdateType.Message, UpdateType.EditedMessage, UpdateType.MyChatMember];

    // Service messages (joins, pins, title changes...) are not something a customer said: acknowledged, not stored.
    private static readonly HashSet<MessageType> ServiceTypes =
    [
        MessageType.NewChatMembers, MessageType.LeftChatMember, MessageType.NewChatTitle, MessageType.NewChatPhoto,
        MessageType.DeleteChatPhoto, MessageType.GroupChatCreated, MessageType.SupergroupChatCreated,
        MessageType.ChannelChatCreated, MessageType.MigrateFromChatId, MessageType.MigrateToChatId,
        MessageType.PinnedMessage, MessageType.MessageAutoDeleteTimerChanged, MessageType.ForumTopicCreated,
        MessageType.ForumTopicClosed, MessageType.ForumTopicReopened, MessageType.ForumTopicEdited,
        MessageType.GeneralForumTopicHidden, MessageType.GeneralForumTopicUnhidden, MessageType.WriteAccessAllowed,
        MessageType.VideoChatScheduled, MessageType.VideoChatStarted, MessageType.VideoChatEnded,
        MessageType.VideoChatParticipantsInvited, MessageType.ProximityAlertTriggered, MessageType.BoostAdded,
        MessageType.ChatBackgroundSet, MessageType.ConnectedWebsite, MessageType.ChatOwnerLeft, MessageType.ChatOwnerChanged,
    ];

    /// <summary>The message to store, or null with the reason the update carries none.</summary>
    public static (InboundMessage? Message, string? Skipped) Map(Update update)
    {
        ArgumentNullException.ThrowIfNull(update);
        var (message, isEdit) = update switch
        {
            { Message: { } m } => (m, false),
            { EditedMessage: { } m } => (m, true),
            _ => ((Message?)null, false),
        };
        if (message is null)
        {
            return (null, $"update of type {update.Type}");
        }
        if (message.Chat.Type is not (ChatType.Private or ChatType.Group or ChatType.Supergroup))
        {
            return (null, $"message in a {message.Chat.Type} chat");
        }
        if (ServiceTypes.Contains(message.Type))
        {
            return (null, $"service message {message.Type}");
        }

        var (type, content, media) = Describe(message);
        var isGroup = message.Chat.Type is ChatType.Group or ChatType.Supergroup;
        return (new InboundMessage
        {
            Chat = new ChatAddress
            {
                Source = Sources.Telegram,
                Platform = Platforms.Telegram,
                PlatformChatId = message.Chat.Id.ToString(CultureInfo.InvariantCulture),
                Name = ChatName(message.Chat),
                IsGroup = isGroup,
            },
            PlatformMessageId = message.Id.ToString(CultureInfo.InvariantCulture),
            Type = type,
            Content = content,
            FileName = media?.FileName,
            MimeType = media?.MimeType,
            Media = media,
            Timestamp = new DateTimeOffset(DateTime.SpecifyKind(message.Date, DateTimeKind.Utc)),
            SenderId = (message.From?.Id ?? message.SenderChat?.Id ?? message.Chat.Id).ToString(CultureInfo.InvariantCulture),
            SenderName = message.From is { } from ? PersonName(from.FirstName, from.LastName, from.Username) : message.SenderChat?.Title,
            IsEdit = isEdit,
        }, null);
    }

    public static string? ChatName(TgChat chat) =>
        chat.Type == ChatType.Private ? PersonName(chat.FirstName, chat.LastName, chat.Username) : chat.Title ?? chat.Username;

    private static string? PersonName(string? first, string? last, string? username)
    {
        var name = string.Join(' ', new[] { first, last }.Where(s => !string.IsNullOrWhiteSpace(s))).Trim();
        return name.Length > 0 ? name : username;
    }

    private static (string Type, string? Content, MediaRef? Media) Describe(Message m)
    {
        var caption = string.IsNullOrEmpty(m.Caption) ? null : m.Caption;
        switch (m)
        {
            case { Text: { } text }:
                return (MessageTypes.Text, text, null);
            case { Photo: { Length: > 0 } sizes }:
                var largest = sizes.MaxBy(s => (long)s.Width * s.Height)!;
                return (MessageTypes.Image, caption, Ref(largest.FileId, largest.FileUniqueId, null, "image/jpeg", largest.FileSize));
            case { Voice: { } voice }:
                return (MessageTypes.Voice, caption, Ref(voice.FileId, voice.FileUniqueId, null, voice.MimeType ?? "audio/ogg", voice.FileSize));
            case { Audio: { } audio }:
                var track = string.Join(" – ", new[] { audio.Performer, audio.Title }.Where(s => !string.IsNullOrWhiteSpace(s)));
                return (MessageTypes.Audio, caption ?? (track.Length > 0 ? track : null),
                    Ref(audio.FileId, audio.FileUniqueId, audio.FileName, audio.MimeType ?? "audio/mpeg", audio.FileSize));
            case { Animation: { } gif }:
                // Telegram also fills `document` for animations; show them as the short videos they are.
                return (MessageTypes.Video, caption ?? "GIF", Ref(gif.FileId, gif.FileUniqueId, gif.FileName, gif.MimeType ?? "video/mp4", gif.FileSize));
            case { Document: { } doc }:
                return (MessageTypes.Document, caption, Ref(doc.FileId, doc.FileUniqueId, doc.FileName, doc.MimeType ?? "application/octet-stream", doc.FileSize));
            case { Sticker: { } sticker }:
                var stickerMime = sticker.IsAnimated ? "application/x-tgsticker" : sticker.IsVideo ? "video/webm" : "image/webp";
                return (MessageTypes.Sticker, sticker.Emoji ?? "Sticker", Ref(sticker.FileId, sticker.FileUniqueId, null, stickerMime, sticker.FileSize));
            case { Video: { } video }:
                return (MessageTypes.Video, caption ?? $"Video, {video.Duration} s",
                    Ref(video.FileId, video.FileUniqueId, video.FileName, video.MimeType ?? "video/mp4", video.FileSize));
            case { VideoNote: { } note }:
                return (MessageTypes.VideoNote, $"Video note, {note.Duration} s", Ref(note.FileId, note.FileUniqueId, null, "video/mp4", note.FileSize));
            case { Venue: { } venue }:
                return (MessageTypes.Location, $"{venue.Title}, {venue.Address} ({Coordinates(venue.Location)})", null);
            case { Location: { } location }:
                return (MessageTypes.Location, $"Location: {Coordinates(location)}", null);
            case { Contact: { } contact }:
                return (MessageTypes.Contact, $"Contact: {PersonName(contact.FirstName, contact.LastName, null)}, {contact.PhoneNumber}", null);
            case { Poll: { } poll }:
                var options = string.Join(" / ", poll.Options.Select(o => o.Text));
                return (MessageTypes.Poll, $"Poll: {poll.Question} — {options}", null);
            case { Dice: { } dice }:
                return ("dice", $"{dice.Emoji} {dice.Value}", null);
            default:
                // A kind this service does not know yet: stored, so an operator sees that something arrived.
                var kind = SnakeCase(m.Type.ToString());
                return (kind, caption ?? $"[{kind.Replace('_', ' ')}]", null);
        }
    }

    private static MediaRef Ref(string fileId, string fileUniqueId, string? fileName, string mimeType, long? size) => new()
    {
        Platform = Platforms.Telegram,
        PlatformFileId = fileId,
        UniqueId = fileUniqueId,
        FileName = fileName,
        MimeType = mimeType,
        Size = size,
    };

    private static string Coordinates(Location l) =>
        string.Create(CultureInfo.InvariantCulture, $"{l.Latitude:0.######}, {l.Longitude:0.######}");

    private static string SnakeCase(string name)
    {
        var sb = new System.Text.StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0)
            {
                sb.Append('_');
            }
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }
}
