using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace MessengerAutoReply.Fakes.Telegram;

/// <summary>Typed helpers that build realistic updates from a fake user, optionally inside a group chat.</summary>
public sealed partial class FakeTelegramServer
{
    private long _nextUserId = 5012345679;
    private long _nextGroupId = 1001987654321;
    private TelegramUser _defaultUser = new(5012345678, "Anna", "Petrova", "anna_p", "ru");

    /// <summary>Sender used when a helper gets no <c>from</c>.</summary>
    public TelegramUser DefaultUser
    {
        get { lock (_gate) return _defaultUser; }
        set { lock (_gate) _defaultUser = value; }
    }

    public TelegramUser CreateUser(string firstName, string? lastName = null, string? username = null, string? languageCode = "en")
    {
        lock (_gate) return new TelegramUser(_nextUserId++, firstName, lastName, username, languageCode);
    }

    /// <summary>A group (negative id) or supergroup (-100… id) the bot is a member of; it becomes a known chat.</summary>
    public TelegramChat CreateGroup(string title, bool supergroup = true, string? username = null)
    {
        TelegramChat chat;
        lock (_gate)
        {
            var n = _nextGroupId++;
            chat = supergroup
                ? new TelegramChat(-n, "supergroup", title, username)
                : new TelegramChat(-(n % 1_000_000_000), "group", title);
            _chats[chat.Id] = chat;
        }
        return chat;
    }

    /// <summary>
    /// Queue a <c>message</c> update whose content fields (text, photo, voice, …) are <paramref name="content"/>.
    /// Without <paramref name="chat"/> it is the sender's private chat.
    /// </summary>
    public EnqueuedUpdate EnqueueMessage(JsonObject content, TelegramUser? from = null, TelegramChat? chat = null, int? replyToMessageId = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        from ??= DefaultUser;
        chat ??= TelegramChat.PrivateWith(from);
        JsonObject message;
        lock (_gate)
        {
            message = new JsonObject
            {
                ["message_id"] = AllocateMessageId(chat.Id),
                ["from"] = from.ToJson(),
                ["chat"] = chat.ToJson(),
                ["date"] = Clock.GetUtcNow().ToUnixTimeSeconds(),
            };
            if (replyToMessageId is { } r && _messages.TryGetValue((chat.Id, r), out var original))
            {
                var copy = (JsonObject)original.DeepClone();
                copy.Remove("reply_to_message");
                message["reply_to_message"] = copy;
            }
        }
        foreach (var (k, v) in content) message[k] = v?.DeepClone();
        return EnqueueUpdate(new JsonObject { ["message"] = message });
    }

    public EnqueuedUpdate EnqueueText(string text, TelegramUser? from = null, TelegramChat? chat = null, int? replyToMessageId = null)
    {
        var content = new JsonObject { ["text"] = text };
        var entities = DetectEntities(text);
        if (entities.Count > 0) content["entities"] = entities;
        return EnqueueMessage(content, from, chat, replyToMessageId);
    }

    /// <summary>An <c>edited_message</c> update for an earlier message (same message_id, new text, edit_date).</summary>
    public EnqueuedUpdate EnqueueEditedText(int messageId, string newText, TelegramUser? from = null, TelegramChat? chat = null)
    {
        from ??= DefaultUser;
        chat ??= TelegramChat.PrivateWith(from);
        JsonObject message;
        lock (_gate)
        {
            var date = _messages.TryGetValue((chat.Id, messageId), out var original) && original["date"] is JsonValue d
                ? d.GetValue<long>()
                : Clock.GetUtcNow().ToUnixTimeSeconds() - 60;
            message = new JsonObject
            {
                ["message_id"] = messageId,
                ["from"] = from.ToJson(),
                ["chat"] = chat.ToJson(),
                ["date"] = date,
                ["edit_date"] = Math.Max(date + 1, Clock.GetUtcNow().ToUnixTimeSeconds()),
                ["text"] = newText,
            };
        }
        var entities = DetectEntities(newText);
        if (entities.Count > 0) message["entities"] = entities;
        return EnqueueUpdate(new JsonObject { ["edited_message"] = message });
    }

    /// <summary>A photo message with three sizes (90x68, 320x240, 1280x960, smallest first), each downloadable.</summary>
    public EnqueuedUpdate EnqueuePhoto(string? caption = null, TelegramUser? from = null, TelegramChat? chat = null)
    {
        var sizes = new JsonArray();
        foreach (var (w, h) in new[] { (90, 68), (320, 240), (1280, 960) })
        {
            var file = AddFile(FakeJpeg(w * h / 10), "photos", "jpg", "image/jpeg");
            sizes.Add(PhotoSize(file, w, h));
        }
        var content = new JsonObject { ["photo"] = sizes };
        if (caption is not null) content["caption"] = caption;
        return EnqueueMessage(content, from, chat);
    }

    /// <summary>A voice note; pass an OGG/Opus file registered with <see cref="AddFile"/> (a tiny placeholder OGG otherwise).</summary>
    public EnqueuedUpdate EnqueueVoice(FakeFile? file = null, int durationSeconds = 3, TelegramUser? from = null, TelegramChat? chat = null)
    {
        file ??= AddFile(FakeOgg(), "voice", "oga", "audio/ogg");
        return EnqueueMessage(new JsonObject
        {
            ["voice"] = FileObject(file, ("duration", durationSeconds), ("mime_type", file.MimeType ?? "audio/ogg")),
        }, from, chat);
    }

    public EnqueuedUpdate EnqueueAudio(FakeFile? file = null, int durationSeconds = 180, string? performer = "Unknown Artist", string? title = "Track", string fileName = "track.mp3", TelegramUser? from = null, TelegramChat? chat = null)
    {
        file ??= AddFile(FakeMp3(), "music", "mp3", "audio/mpeg");
        var audio = FileObject(file, ("duration", durationSeconds), ("file_name", fileName), ("mime_type", file.MimeType ?? "audio/mpeg"));
        if (performer is not null) audio["performer"] = performer;
        if (title is not null) audio["title"] = title;
        return EnqueueMessage(new JsonObject { ["audio"] = audio }, from, chat);
    }

    /// <summary>A document. For one over the 20 MB download limit: <c>AddFile(bytes, declaredSize: 25 &lt;&lt; 20)</c>.</summary>
    public EnqueuedUpdate EnqueueDocument(FakeFile? file = null, string fileName = "invoice-2026-031.pdf", string mimeType = "application/pdf", string? caption = null, TelegramUser? from = null, TelegramChat? chat = null)
    {
        file ??= AddFile("%PDF-1.4\n%fake\n"u8.ToArray(), "documents", "pdf", mimeType);
        var content = new JsonObject { ["document"] = FileObject(file, ("file_name", fileName), ("mime_type", mimeType)) };
        if (caption is not null) content["caption"] = caption;
        return EnqueueMessage(content, from, chat);
    }

    public EnqueuedUpdate EnqueueSticker(string emoji = "👍", string setName = "FakeStickers", TelegramUser? from = null, TelegramChat? chat = null)
    {
        var file = AddFile(FakeWebp(), "stickers", "webp", "image/webp");
        var sticker = FileObject(file, ("type", "regular"), ("width", 512), ("height", 512), ("is_animated", false), ("is_video", false), ("emoji", emoji), ("set_name", setName));
        sticker["thumbnail"] = PhotoSize(AddFile(FakeWebp(), "thumbnails", "webp", "image/webp"), 128, 128);
        return EnqueueMessage(new JsonObject { ["sticker"] = sticker }, from, chat);
    }

    public EnqueuedUpdate EnqueueVideo(FakeFile? file = null, int durationSeconds = 12, int width = 1280, int height = 720, string? caption = null, TelegramUser? from = null, TelegramChat? chat = null)
    {
        file ??= AddFile(FakeMp4(), "videos", "mp4", "video/mp4");
        var content = new JsonObject
        {
            ["video"] = FileObject(file, ("width", width), ("height", height), ("duration", durationSeconds), ("file_name", "video.mp4"), ("mime_type", file.MimeType ?? "video/mp4")),
        };
        if (caption is not null) content["caption"] = caption;
        return EnqueueMessage(content, from, chat);
    }

    public EnqueuedUpdate EnqueueVideoNote(FakeFile? file = null, int durationSeconds = 8, int length = 384, TelegramUser? from = null, TelegramChat? chat = null)
    {
        file ??= AddFile(FakeMp4(), "video_notes", "mp4", "video/mp4");
        return EnqueueMessage(new JsonObject { ["video_note"] = FileObject(file, ("length", length), ("duration", durationSeconds)) }, from, chat);
    }

    /// <summary>
    /// A GIF as Telegram sends it: an MPEG-4 <c>animation</c>, with the same file in <c>document</c> too (the Bot
    /// API fills both "for backward compatibility").
    /// </summary>
    public EnqueuedUpdate EnqueueAnimation(FakeFile? file = null, int durationSeconds = 3, string? caption = null, TelegramUser? from = null, TelegramChat? chat = null)
    {
        file ??= AddFile(FakeMp4(), "animations", "mp4", "video/mp4");
        var content = new JsonObject
        {
            ["animation"] = FileObject(file, ("width", 320), ("height", 240), ("duration", durationSeconds), ("file_name", "dance.gif.mp4"), ("mime_type", "video/mp4")),
            ["document"] = FileObject(file, ("file_name", "dance.gif.mp4"), ("mime_type", "video/mp4")),
        };
        if (caption is not null) content["caption"] = caption;
        return EnqueueMessage(content, from, chat);
    }

    public EnqueuedUpdate EnqueueLocation(double latitude, double longitude, TelegramUser? from = null, TelegramChat? chat = null) =>
        EnqueueMessage(new JsonObject { ["location"] = new JsonObject { ["latitude"] = latitude, ["longitude"] = longitude } }, from, chat);

    public EnqueuedUpdate EnqueueContact(string phoneNumber, string firstName, string? lastName = null, long? userId = null, TelegramUser? from = null, TelegramChat? chat = null)
    {
        var contact = new JsonObject { ["phone_number"] = phoneNumber, ["first_name"] = firstName };
        if (lastName is not null) contact["last_name"] = lastName;
        if (userId is not null) contact["user_id"] = userId;
        return EnqueueMessage(new JsonObject { ["contact"] = contact }, from, chat);
    }

    public EnqueuedUpdate EnqueuePoll(string question, IReadOnlyList<string> options, TelegramUser? from = null, TelegramChat? chat = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var poll = new JsonObject
        {
            ["id"] = "5" + RandomDigits(18),
            ["question"] = question,
            ["options"] = new JsonArray([.. options.Select(o => (JsonNode)new JsonObject { ["text"] = o, ["voter_count"] = 0 })]),
            ["total_voter_count"] = 0,
            ["is_closed"] = false,
            ["is_anonymous"] = true,
            ["type"] = "regular",
            ["allows_multiple_answers"] = false,
        };
        return EnqueueMessage(new JsonObject { ["poll"] = poll }, from, chat);
    }

    private void EnqueueMyChatMember(long chatId, string newStatus, string oldStatus)
    {
        TelegramChat chat;
        TelegramUser user;
        TelegramUser bot;
        lock (_gate)
        {
            chat = _chats.TryGetValue(chatId, out var c) ? c : new TelegramChat(chatId, "private");
            user = chat.Type == "private"
                ? new TelegramUser(chatId, chat.FirstName ?? "User", chat.LastName, chat.Username)
                : DefaultUser;
            bot = _botUser;
        }
        var date = Clock.GetUtcNow().ToUnixTimeSeconds();
        EnqueueUpdate(new JsonObject
        {
            ["my_chat_member"] = new JsonObject
            {
                ["chat"] = chat.ToJson(),
                ["from"] = user.ToJson(),
                ["date"] = date,
                ["old_chat_member"] = MemberJson(oldStatus),
                ["new_chat_member"] = MemberJson(newStatus),
            },
        });

        JsonObject MemberJson(string status)
        {
            var m = new JsonObject { ["status"] = status, ["user"] = bot.ToJson() };
            if (status == "kicked") m["until_date"] = 0;
            return m;
        }
    }

    // ---------------------------------------------------------------- JSON pieces

    private static JsonObject FileObject(FakeFile file, params (string Key, JsonNode? Value)[] extra)
    {
        var o = new JsonObject();
        foreach (var (k, v) in extra) o[k] = v;
        o["file_id"] = file.FileId;
        o["file_unique_id"] = file.FileUniqueId;
        if (!file.SizeOmitted) o["file_size"] = file.FileSize;
        return o;
    }

    private static JsonObject PhotoSize(FakeFile file, int width, int height) => new()
    {
        ["file_id"] = file.FileId,
        ["file_unique_id"] = file.FileUniqueId,
        ["file_size"] = file.FileSize,
        ["width"] = width,
        ["height"] = height,
    };

    [GeneratedRegex(@"(?<mention>@[A-Za-z0-9_]{5,32})|(?<url>https?://[^\s]+)|(?<cmd>^/[A-Za-z0-9_]+(@[A-Za-z0-9_]+)?)")]
    private static partial Regex EntityPattern();

    private static JsonArray DetectEntities(string text)
    {
        var arr = new JsonArray();
        foreach (Match m in EntityPattern().Matches(text))
        {
            var type = m.Groups["mention"].Success ? "mention" : m.Groups["url"].Success ? "url" : "bot_command";
            // offset/length are UTF-16 code units, which is what .NET string indices are.
            arr.Add(new JsonObject { ["offset"] = m.Index, ["length"] = m.Length, ["type"] = type });
        }
        return arr;
    }

    private static string RandomDigits(int n) => string.Concat(Enumerable.Range(0, n).Select(_ => (char)('0' + System.Security.Cryptography.RandomNumberGenerator.GetInt32(10))));

    private static byte[] WithHeader(byte[] header, int totalLength)
    {
        var bytes = new byte[Math.Max(totalLength, header.Length)];
        System.Security.Cryptography.RandomNumberGenerator.Fill(bytes.AsSpan(header.Length));
        header.CopyTo(bytes, 0);
        return bytes;
    }

    private static byte[] FakeJpeg(int length) => WithHeader([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0x00], length);
    private static byte[] FakeOgg() => WithHeader("OggS\0\u0002"u8.ToArray(), 4096);
    private static byte[] FakeMp3() => WithHeader("ID3\u0004\0\0"u8.ToArray(), 8192);
    private static byte[] FakeWebp() => WithHeader("RIFF\0\0\0\0WEBPVP8 "u8.ToArray(), 2048);
    private static byte[] FakeMp4() => WithHeader([0, 0, 0, 0x18, (byte)'f', (byte)'t', (byte)'y', (byte)'p', (byte)'m', (byte)'p', (byte)'4', (byte)'2'], 16384);
}
