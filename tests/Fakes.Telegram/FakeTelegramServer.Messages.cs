using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http;

namespace MessengerAutoReply.Fakes.Telegram;

public sealed partial class FakeTelegramServer
{
    private static readonly HashSet<string> ChatActionNames =
    [
        "typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice",
        "upload_document", "choose_sticker", "find_location", "record_video_note", "upload_video_note",
    ];

    private readonly Dictionary<long, TelegramChat> _chats = [];
    private readonly Dictionary<long, int> _nextMessageId = [];
    private readonly Dictionary<(long Chat, int Id), JsonObject> _messages = [];
    private readonly HashSet<long> _blocked = [];
    private readonly HashSet<long> _deactivated = [];
    private readonly List<SentMessage> _sent = [];
    private readonly List<SentChatAction> _chatActions = [];
    private readonly List<EditedMessage> _edits = [];
    private readonly Dictionary<string, FakeFile> _filesById = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FakeFile> _filesByPath = new(StringComparer.Ordinal);
    private readonly List<string> _downloads = [];
    private readonly Dictionary<string, Queue<DateTimeOffset>> _floodWindows = [];
    private int _fileCounter;

    /// <summary>Answer 400 "Bad Request: chat not found" for chats the bot never saw (no update from them and no <see cref="AddChat"/>).</summary>
    public bool RequireKnownChats { get; set; } = true;

    /// <summary>Message text limit after entity parsing, counted in Unicode code points (the counting unit is not documented).</summary>
    public int MaxTextLength { get; set; } = 4096;

    public int MaxCaptionLength { get; set; } = 1024;

    /// <summary>getFile refuses larger files with "Bad Request: file is too big" (cloud: 20 MB).</summary>
    public long MaxDownloadFileSize { get; set; } = 20L << 20;

    /// <summary>message_id of the first message in a chat the fake has not seen yet.</summary>
    public int FirstMessageIdPerChat { get; set; } = 1;

    /// <summary>Flood control on send* methods (off by default). When exceeded: 429 "Too Many Requests: retry after N".</summary>
    public bool FloodLimitsEnabled { get; set; }
    public int FloodGlobalLimit { get; set; } = 30;
    public TimeSpan FloodGlobalWindow { get; set; } = TimeSpan.FromSeconds(1);
    public int FloodPrivateChatLimit { get; set; } = 1;
    public TimeSpan FloodPrivateChatWindow { get; set; } = TimeSpan.FromSeconds(1);
    public int FloodGroupLimit { get; set; } = 20;
    public TimeSpan FloodGroupWindow { get; set; } = TimeSpan.FromMinutes(1);

    public IReadOnlyList<SentMessage> SentMessages { get { lock (_gate) return [.. _sent]; } }
    public IReadOnlyList<SentChatAction> ChatActions { get { lock (_gate) return [.. _chatActions]; } }
    public IReadOnlyList<EditedMessage> EditedMessages { get { lock (_gate) return [.. _edits]; } }

    /// <summary>file_path of every successful download, in order.</summary>
    public IReadOnlyList<string> FileDownloads { get { lock (_gate) return [.. _downloads]; } }

    /// <summary>Make a chat known (so sends to it succeed with <see cref="RequireKnownChats"/>).</summary>
    public void AddChat(TelegramChat chat)
    {
        ArgumentNullException.ThrowIfNull(chat);
        lock (_gate) _chats[chat.Id] = chat;
    }

    /// <summary>The user blocked the bot: send* and sendChatAction to this chat answer 403 "Forbidden: bot was blocked by the user".</summary>
    public void BlockChat(long chatId, bool emitMyChatMemberUpdate = false)
    {
        lock (_gate) _blocked.Add(chatId);
        if (emitMyChatMemberUpdate) EnqueueMyChatMember(chatId, "kicked", "member");
    }

    public void UnblockChat(long chatId, bool emitMyChatMemberUpdate = false)
    {
        lock (_gate) _blocked.Remove(chatId);
        if (emitMyChatMemberUpdate) EnqueueMyChatMember(chatId, "member", "kicked");
    }

    /// <summary>The user deleted their account: sends to their private chat answer 403 "Forbidden: user is deactivated".</summary>
    public void DeactivateUser(long userId)
    {
        lock (_gate) _deactivated.Add(userId);
    }

    public Task<IReadOnlyList<SentMessage>> WaitForSentMessagesAsync(int count, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForValueAsync(() => _sent.Count >= count ? (IReadOnlyList<SentMessage>)[.. _sent] : null, timeout, $"{count} sent messages", cancellationToken);

    public Task<SentMessage> WaitForSentMessageAsync(Func<SentMessage, bool> predicate, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForValueAsync(() => _sent.FirstOrDefault(predicate), timeout, "a matching sent message", cancellationToken);

    public Task<SentChatAction> WaitForChatActionAsync(Func<SentChatAction, bool>? predicate = null, TimeSpan? timeout = null, CancellationToken cancellationToken = default) =>
        WaitForValueAsync(() => _chatActions.FirstOrDefault(a => predicate?.Invoke(a) ?? true), timeout, "a chat action", cancellationToken);

    // ---------------------------------------------------------------- files

    /// <summary>A file registered with <see cref="AddFile"/> (or by an Enqueue* helper), by its file_id.</summary>
    public FakeFile? FileById(string fileId)
    {
        lock (_gate) return _filesById.GetValueOrDefault(fileId);
    }

    /// <summary>
    /// Register a downloadable file. <paramref name="declaredSize"/> overrides the reported file_size without
    /// allocating it (e.g. 25 MB to provoke "file is too big").
    /// </summary>
    public FakeFile AddFile(byte[] content, string folder = "documents", string extension = "bin", string? mimeType = null, long? declaredSize = null)
    {
        ArgumentNullException.ThrowIfNull(content);
        lock (_gate)
        {
            var n = ++_fileCounter;
            var prefix = folder switch
            {
                "photos" => "AgACAgIAAxkBAAI",
                "voice" => "AwACAgIAAxkBAAI",
                "music" => "CQACAgIAAxkBAAI",
                "videos" => "BAACAgIAAxkBAAI",
                "video_notes" => "DQACAgIAAxkBAAI",
                "stickers" => "CAACAgIAAxkBAAI",
                _ => "BQACAgIAAxkBAAI",
            };
            var file = new FakeFile(
                FileId: prefix + RandomToken(24),
                FileUniqueId: "AgAD" + RandomToken(10),
                FilePath: $"{folder}/file_{n}.{extension.TrimStart('.')}",
                FileSize: declaredSize ?? content.LongLength,
                Content: content,
                MimeType: mimeType);
            _filesById[file.FileId] = file;
            _filesByPath[file.FilePath] = file;
            return file;
        }
    }

    /// <summary>
    /// Register a file of <paramref name="length"/> generated bytes, served in chunks from one small buffer, so a test
    /// can offer many 20 MB files without holding them. <paramref name="omitSize"/>: file_size is left out of
    /// updates and getFile, and the download has no Content-Length (a platform that does not say how big).
    /// </summary>
    public FakeFile AddGeneratedFile(long length, string folder = "documents", string extension = "bin", string? mimeType = null, bool omitSize = false)
    {
        var file = AddFile([], folder, extension, mimeType, declaredSize: length);
        lock (_gate)
        {
            file = file with { Generated = true, SizeOmitted = omitSize };
            _filesById[file.FileId] = file;
            _filesByPath[file.FilePath] = file;
        }
        return file;
    }

    /// <summary>
    /// How long a generated file's download waits before its first byte (default none). While a download waits, its
    /// client is certainly still waiting for it, so <see cref="PeakConcurrentDownloads"/> counts clients, not
    /// connections that the server is still writing into after the client gave up.
    /// </summary>
    public TimeSpan DownloadStartDelay { get; set; } = TimeSpan.Zero;

    /// <summary>The most generated-file downloads that were waiting in <see cref="DownloadStartDelay"/> at the same moment.</summary>
    public int PeakConcurrentDownloads { get { lock (_gate) return _peakDownloads; } }

    private static readonly byte[] GeneratedChunk = CreateGeneratedChunk();
    private int _downloadsInFlight;
    private int _peakDownloads;

    private static byte[] CreateGeneratedChunk()
    {
        var chunk = new byte[64 * 1024];
        for (var i = 0; i < chunk.Length; i++) chunk[i] = (byte)(i * 31 + 7);
        return chunk;
    }

    private static string RandomToken(int length)
    {
        const string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        return string.Create(length, 0, (span, _) =>
        {
            for (var i = 0; i < span.Length; i++) span[i] = alphabet[RandomNumberGenerator.GetInt32(alphabet.Length)];
        });
    }

    private Reply GetFile(RequestParams p)
    {
        var id = p.GetString("file_id");
        if (string.IsNullOrEmpty(id)) throw new BotApiException(400, "Bad Request: file_id not specified");
        FakeFile? file;
        lock (_gate) _filesById.TryGetValue(id, out file);
        if (file is null) throw new BotApiException(400, "Bad Request: invalid file_id");
        if (file.FileSize > MaxDownloadFileSize) throw new BotApiException(400, "Bad Request: file is too big");
        var answer = new JsonObject
        {
            ["file_id"] = file.FileId,
            ["file_unique_id"] = file.FileUniqueId,
            ["file_size"] = file.FileSize,
            ["file_path"] = file.FilePath,
        };
        if (file.SizeOmitted) answer.Remove("file_size");
        return new Reply(answer);
    }

    private async Task ServeFileAsync(HttpContext ctx, string tokenAndPath)
    {
        var slash = tokenAndPath.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0) throw new BotApiException(404, "Not Found");
        if (!string.Equals(tokenAndPath[..slash], Token, StringComparison.Ordinal)) throw new BotApiException(401, "Unauthorized");
        var filePath = tokenAndPath[(slash + 1)..];
        FakeFile? file;
        lock (_gate)
        {
            _filesByPath.TryGetValue(filePath, out file);
            if (file is not null)
            {
                _downloads.Add(filePath);
                Pulse();
            }
        }
        if (file is null || file.FileSize > MaxDownloadFileSize) throw new BotApiException(404, "Not Found");
        ctx.Response.StatusCode = 200;
        ctx.Response.ContentType = file.MimeType ?? "application/octet-stream";
        if (!file.Generated)
        {
            ctx.Response.ContentLength = file.Content.Length;
            await ctx.Response.Body.WriteAsync(file.Content, ctx.RequestAborted);
            return;
        }
        if (!file.SizeOmitted) ctx.Response.ContentLength = file.FileSize;
        lock (_gate) _peakDownloads = Math.Max(_peakDownloads, ++_downloadsInFlight);
        try
        {
            if (DownloadStartDelay > TimeSpan.Zero) await Task.Delay(DownloadStartDelay, ctx.RequestAborted);
        }
        finally
        {
            lock (_gate) _downloadsInFlight--;
        }
        for (var left = file.FileSize; left > 0; left -= GeneratedChunk.Length)
        {
            await ctx.Response.Body.WriteAsync(GeneratedChunk.AsMemory(0, (int)Math.Min(left, GeneratedChunk.Length)), ctx.RequestAborted);
        }
    }

    // ---------------------------------------------------------------- chats & messages bookkeeping

    /// <summary>Called with the lock held for every message carried by an enqueued update.</summary>
    private (long? ChatId, int? MessageId) RememberIncomingMessage(JsonObject message, bool edited)
    {
        if (message["chat"] is not JsonObject chatJson) return (null, null);
        var chatId = RememberChat(chatJson);
        int? messageId = null;
        if (message["message_id"] is JsonValue idValue && idValue.TryGetValue<int>(out var id))
        {
            messageId = id;
            var next = _nextMessageId.GetValueOrDefault(chatId, FirstMessageIdPerChat);
            if (id >= next) _nextMessageId[chatId] = id + 1;
            if (!edited || _messages.ContainsKey((chatId, id)))
                _messages[(chatId, id)] = (JsonObject)message.DeepClone();
        }
        return (chatId, messageId);
    }

    private long RememberChat(JsonObject chatJson)
    {
        var id = chatJson["id"]!.GetValue<long>();
        if (!_chats.ContainsKey(id))
        {
            _chats[id] = new TelegramChat(
                id,
                chatJson["type"]?.GetValue<string>() ?? (id < 0 ? "supergroup" : "private"),
                chatJson["title"]?.GetValue<string>(),
                chatJson["username"]?.GetValue<string>(),
                chatJson["first_name"]?.GetValue<string>(),
                chatJson["last_name"]?.GetValue<string>());
        }
        return id;
    }

    private int AllocateMessageId(long chatId)
    {
        var id = _nextMessageId.GetValueOrDefault(chatId, FirstMessageIdPerChat);
        _nextMessageId[chatId] = id + 1;
        return id;
    }

    private TelegramChat ResolveChat(RequestParams p)
    {
        var raw = p.GetString("chat_id");
        if (string.IsNullOrWhiteSpace(raw)) throw new BotApiException(400, "Bad Request: chat_id is empty");
        lock (_gate)
        {
            if (raw.StartsWith('@'))
            {
                var byName = _chats.Values.FirstOrDefault(c => string.Equals("@" + c.Username, raw, StringComparison.OrdinalIgnoreCase));
                return byName ?? throw new BotApiException(400, "Bad Request: chat not found");
            }
            if (!long.TryParse(raw, NumberStyles.Integer, CultureInfo.InvariantCulture, out var id))
                throw new BotApiException(400, "Bad Request: chat not found");
            if (_chats.TryGetValue(id, out var chat)) return chat;
            if (RequireKnownChats) throw new BotApiException(400, "Bad Request: chat not found");
            return new TelegramChat(id, id < 0 ? "supergroup" : "private");
        }
    }

    private void EnsureCanWrite(TelegramChat chat)
    {
        lock (_gate)
        {
            if (chat.Type == "private" && _deactivated.Contains(chat.Id))
                throw new BotApiException(403, "Forbidden: user is deactivated");
            if (_blocked.Contains(chat.Id))
                throw new BotApiException(403, "Forbidden: bot was blocked by the user");
        }
    }

    private void CheckFloodLimits(TelegramChat chat)
    {
        if (!FloodLimitsEnabled) return;
        lock (_gate)
        {
            var now = Clock.GetUtcNow();
            var windows = new List<(Queue<DateTimeOffset> Hits, int Limit, TimeSpan Window)>
            {
                (Window("global"), FloodGlobalLimit, FloodGlobalWindow),
                chat.IsGroup || chat.Type == "channel"
                    ? (Window("chat:" + chat.Id.ToString(CultureInfo.InvariantCulture)), FloodGroupLimit, FloodGroupWindow)
                    : (Window("chat:" + chat.Id.ToString(CultureInfo.InvariantCulture)), FloodPrivateChatLimit, FloodPrivateChatWindow),
            };
            foreach (var (hits, limit, window) in windows)
            {
                while (hits.Count > 0 && hits.Peek() <= now - window) hits.Dequeue();
                if (hits.Count >= limit)
                {
                    var wait = hits.Peek() + window - now;
                    var retryAfter = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
                    throw new BotApiException(429, $"Too Many Requests: retry after {retryAfter}", retryAfter);
                }
            }
            foreach (var (hits, _, _) in windows) hits.Enqueue(now);
        }

        Queue<DateTimeOffset> Window(string key)
        {
            if (!_floodWindows.TryGetValue(key, out var q)) _floodWindows[key] = q = new Queue<DateTimeOffset>();
            return q;
        }
    }

    /// <summary>reply_parameters (object or JSON text) or the legacy reply_to_message_id.</summary>
    private JsonObject? ResolveReply(RequestParams p, TelegramChat chat, out int? replyToId)
    {
        replyToId = null;
        var allowWithout = p.GetBool("allow_sending_without_reply");
        var rp = p.GetObject("reply_parameters");
        if (rp is not null)
        {
            replyToId = rp["message_id"]?.GetValue<int>();
            if (rp["allow_sending_without_reply"] is JsonValue a && a.TryGetValue<bool>(out var b)) allowWithout = b;
        }
        else if (p.GetLong("reply_to_message_id") is { } legacy)
        {
            replyToId = (int)legacy;
        }
        if (replyToId is null) return null;
        lock (_gate)
        {
            if (_messages.TryGetValue((chat.Id, replyToId.Value), out var original))
            {
                var copy = (JsonObject)original.DeepClone();
                copy.Remove("reply_to_message"); // the server never nests replies
                return copy;
            }
        }
        if (allowWithout)
        {
            replyToId = null;
            return null;
        }
        throw new BotApiException(400, "Bad Request: message to be replied not found");
    }

    // ---------------------------------------------------------------- send methods

    private Reply SendMessage(RequestParams p)
    {
        var chat = ResolveChat(p);
        EnsureCanWrite(chat);
        var text = p.GetString("text");
        var parseMode = p.GetString("parse_mode");
        var plain = ParseFormatted(text ?? "", parseMode);
        if (string.IsNullOrWhiteSpace(plain)) throw new BotApiException(400, "Bad Request: message text is empty");
        if (CodePoints(plain) > MaxTextLength) throw new BotApiException(400, "Bad Request: message is too long");
        var replyTo = ResolveReply(p, chat, out var replyToId);
        CheckFloodLimits(chat);

        lock (_gate)
        {
            var message = NewOutgoingMessage(chat, replyTo);
            message["text"] = plain;
            if (p.GetJson("entities") is JsonArray entities && parseMode is null) message["entities"] = entities.DeepClone();
            if (p.GetObject("link_preview_options") is { } lpo) message["link_preview_options"] = lpo.DeepClone();
            return StoreSent("sendMessage", chat, message, text, null, parseMode, replyToId, p.Files);
        }
    }

    private Reply SendMedia(RequestParams p, string kind)
    {
        var chat = ResolveChat(p);
        EnsureCanWrite(chat);
        var parseMode = p.GetString("parse_mode");
        var caption = p.GetString("caption");
        var plainCaption = caption is null ? null : ParseFormatted(caption, parseMode);
        if (plainCaption is not null && CodePoints(plainCaption) > MaxCaptionLength)
            throw new BotApiException(400, "Bad Request: message caption is too long");
        var file = ResolveInputFile(p, kind);
        var replyTo = ResolveReply(p, chat, out var replyToId);
        CheckFloodLimits(chat);

        lock (_gate)
        {
            var message = NewOutgoingMessage(chat, replyTo);
            message[kind] = kind switch
            {
                "photo" => new JsonArray(PhotoSize(file, 320, 240)),
                "voice" => FileObject(file, ("duration", p.GetLong("duration") ?? 1), ("mime_type", file.MimeType ?? "audio/ogg")),
                "audio" => FileObject(file, ("duration", p.GetLong("duration") ?? 1), ("mime_type", file.MimeType ?? "audio/mpeg")),
                "video" => FileObject(file, ("duration", p.GetLong("duration") ?? 1), ("width", p.GetLong("width") ?? 640), ("height", p.GetLong("height") ?? 360), ("mime_type", file.MimeType ?? "video/mp4")),
                _ => FileObject(file, ("file_name", Path.GetFileName(file.FilePath)), ("mime_type", file.MimeType ?? "application/octet-stream")),
            };
            if (plainCaption is { Length: > 0 }) message["caption"] = plainCaption;
            return StoreSent("send" + char.ToUpperInvariant(kind[0]) + kind[1..], chat, message, null, caption, parseMode, replyToId, p.Files);
        }
    }

    private FakeFile ResolveInputFile(RequestParams p, string kind)
    {
        var folder = kind switch { "photo" => "photos", "voice" => "voice", "audio" => "music", "video" => "videos", _ => "documents" };
        var upload = p.GetFile(kind);
        if (upload is not null)
        {
            var ext = Path.GetExtension(upload.FileName ?? "").TrimStart('.');
            return AddFile(upload.Content, folder, ext.Length > 0 ? ext : "bin", upload.ContentType is "application/octet-stream" ? null : upload.ContentType);
        }
        var value = p.GetString(kind);
        if (string.IsNullOrEmpty(value)) throw new BotApiException(400, $"Bad Request: there is no {kind} in the request");
        lock (_gate)
        {
            if (_filesById.TryGetValue(value, out var known)) return known;
        }
        if (Uri.TryCreate(value, UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https")
            return AddFile([], folder, Path.GetExtension(uri.AbsolutePath).TrimStart('.') is { Length: > 0 } e ? e : "bin");
        throw new BotApiException(400, "Bad Request: wrong file identifier/HTTP URL specified");
    }

    private JsonObject NewOutgoingMessage(TelegramChat chat, JsonObject? replyTo)
    {
        var message = new JsonObject
        {
            ["message_id"] = AllocateMessageId(chat.Id),
            ["from"] = _botUser.ToJson(),
            ["chat"] = chat.ToJson(),
            ["date"] = Clock.GetUtcNow().ToUnixTimeSeconds(),
        };
        if (replyTo is not null) message["reply_to_message"] = replyTo;
        return message;
    }

    private Reply StoreSent(string method, TelegramChat chat, JsonObject message, string? text, string? caption, string? parseMode, int? replyToId, IReadOnlyList<UploadedFile> files)
    {
        var id = message["message_id"]!.GetValue<int>();
        _messages[(chat.Id, id)] = (JsonObject)message.DeepClone();
        _sent.Add(new SentMessage(method, chat.Id, id, text, caption, parseMode, replyToId, Clock.GetUtcNow(), files, (JsonObject)message.DeepClone()));
        Pulse();
        return new Reply(message);
    }

    private Reply SendChatAction(RequestParams p)
    {
        var chat = ResolveChat(p);
        EnsureCanWrite(chat);
        var action = p.GetString("action");
        if (action is null || !ChatActionNames.Contains(action))
            throw new BotApiException(400, "Bad Request: wrong parameter action in request");
        lock (_gate)
        {
            _chatActions.Add(new SentChatAction(chat.Id, action, Clock.GetUtcNow()));
            Pulse();
        }
        return new Reply(true);
    }

    private Reply EditMessageText(RequestParams p)
    {
        if (p.Has("inline_message_id")) throw new BotApiException(400, "Bad Request: inline messages are not supported by this fake");
        var chat = ResolveChat(p);
        var messageId = (int)(p.GetLong("message_id") ?? throw new BotApiException(400, "Bad Request: message identifier is not specified"));
        var parseMode = p.GetString("parse_mode");
        var plain = ParseFormatted(p.GetString("text") ?? "", parseMode);
        if (string.IsNullOrWhiteSpace(plain)) throw new BotApiException(400, "Bad Request: message text is empty");
        if (CodePoints(plain) > MaxTextLength) throw new BotApiException(400, "Bad Request: message is too long");
        lock (_gate)
        {
            if (!_messages.TryGetValue((chat.Id, messageId), out var stored))
                throw new BotApiException(400, "Bad Request: message to edit not found");
            if (stored["from"]?["id"]?.GetValue<long>() != _botUser.Id)
                throw new BotApiException(400, "Bad Request: message can't be edited");
            if (stored["text"]?.GetValue<string>() == plain)
                throw new BotApiException(400, "Bad Request: message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message");
            stored["text"] = plain;
            stored["edit_date"] = Clock.GetUtcNow().ToUnixTimeSeconds();
            _edits.Add(new EditedMessage(chat.Id, messageId, plain, Clock.GetUtcNow()));
            Pulse();
            return new Reply(stored.DeepClone());
        }
    }

    // ---------------------------------------------------------------- formatting

    private static int CodePoints(string s)
    {
        var n = 0;
        foreach (var _ in s.EnumerateRunes()) n++;
        return n;
    }

    [GeneratedRegex("<[^>]*>")]
    private static partial Regex HtmlTag();

    [GeneratedRegex(@"\[([^\]]*)\]\([^)]*\)")]
    private static partial Regex MarkdownLink();

    /// <summary>
    /// The length limit applies to the text after entity parsing, so strip markup roughly the way the server
    /// would (the fake does not report entities for formatted text).
    /// </summary>
    private static string ParseFormatted(string text, string? parseMode)
    {
        switch (parseMode?.ToLowerInvariant())
        {
            case null or "":
                return text;
            case "html":
                return WebUtility.HtmlDecode(HtmlTag().Replace(text, ""));
            case "markdown":
                return MarkdownLink().Replace(text, "$1").Replace("*", "", StringComparison.Ordinal).Replace("_", "", StringComparison.Ordinal).Replace("`", "", StringComparison.Ordinal);
            case "markdownv2":
                var linked = MarkdownLink().Replace(text, "$1");
                var sb = new System.Text.StringBuilder(linked.Length);
                for (var i = 0; i < linked.Length; i++)
                {
                    var c = linked[i];
                    if (c == '\\' && i + 1 < linked.Length) { sb.Append(linked[++i]); continue; }
                    if (c is '*' or '_' or '~' or '`' or '|') continue;
                    sb.Append(c);
                }
                return sb.ToString();
            default:
                throw new BotApiException(400, "Bad Request: unsupported parse_mode");
        }
    }
}
