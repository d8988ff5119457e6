using System.Text.Json.Nodes;

namespace MessengerAutoReply.Fakes.Telegram;

/// <summary>A Telegram user as the fake emits it in updates (and as <see cref="FakeTelegramServer.BotUser"/>).</summary>
public sealed record TelegramUser(
    long Id,
    string FirstName,
    string? LastName = null,
    string? Username = null,
    string? LanguageCode = null,
    bool IsBot = false)
{
    public JsonObject ToJson()
    {
        var o = new JsonObject { ["id"] = Id, ["is_bot"] = IsBot, ["first_name"] = FirstName };
        if (LastName is not null) o["last_name"] = LastName;
        if (Username is not null) o["username"] = Username;
        if (LanguageCode is not null) o["language_code"] = LanguageCode;
        return o;
    }
}

/// <summary>A chat; <see cref="Type"/> is the wire value: private, group, supergroup or channel.</summary>
public sealed record TelegramChat(
    long Id,
    string Type,
    string? Title = null,
    string? Username = null,
    string? FirstName = null,
    string? LastName = null)
{
    public bool IsGroup => Type is "group" or "supergroup";

    public static TelegramChat PrivateWith(TelegramUser user) =>
        new(user.Id, "private", Username: user.Username, FirstName: user.FirstName, LastName: user.LastName);

    public JsonObject ToJson()
    {
        var o = new JsonObject { ["id"] = Id };
        if (Title is not null) o["title"] = Title;
        if (Username is not null) o["username"] = Username;
        if (FirstName is not null) o["first_name"] = FirstName;
        if (LastName is not null) o["last_name"] = LastName;
        o["type"] = Type;
        return o;
    }
}

/// <summary>A file the fake can serve through getFile and <c>/file/bot&lt;token&gt;/&lt;file_path&gt;</c>.</summary>
public sealed record FakeFile(string FileId, string FileUniqueId, string FilePath, long FileSize, byte[] Content, string? MimeType);

/// <summary>What an Enqueue* helper produced.</summary>
public sealed record EnqueuedUpdate(int UpdateId, long? ChatId, int? MessageId, JsonObject Update);

/// <summary>A file part of a multipart request.</summary>
public sealed record UploadedFile(string PartName, string? FileName, string? ContentType, byte[] Content);

/// <summary>One Bot API call as received (after token check).</summary>
public sealed record RecordedCall(
    string Method,
    string HttpMethod,
    IReadOnlyDictionary<string, string> Parameters,
    IReadOnlyList<UploadedFile> Files,
    int StatusCode,
    DateTimeOffset Timestamp);

/// <summary>A message the bot sent successfully (sendMessage or a send* media method).</summary>
public sealed record SentMessage(
    string Method,
    long ChatId,
    int MessageId,
    string? Text,
    string? Caption,
    string? ParseMode,
    int? ReplyToMessageId,
    DateTimeOffset Timestamp,
    IReadOnlyList<UploadedFile> Files,
    JsonObject Message);

public sealed record SentChatAction(long ChatId, string Action, DateTimeOffset Timestamp);

public sealed record EditedMessage(long ChatId, int MessageId, string Text, DateTimeOffset Timestamp);

/// <summary>One webhook POST attempt. <see cref="StatusCode"/> is null when no HTTP response arrived.</summary>
public sealed record WebhookAttempt(int UpdateId, string Url, int? StatusCode, string? Error, bool SecretHeaderSent, DateTimeOffset Timestamp)
{
    public bool Succeeded => StatusCode is >= 200 and < 300;
}
