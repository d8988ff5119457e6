using System.Globalization;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Delivery;

namespace MessengerAutoReply.Archive.PocketBase;

/// <summary>A <c>chats</c> record as PocketBase stores it. Null members are left out of a write (PATCH is partial).</summary>
public sealed record ChatRecord
{
    public string? Id { get; init; }
    public string PlatformChatId { get; init; } = "";
    public string Source { get; init; } = "";
    public string? Name { get; init; }
    public string? OpenAIThreadId { get; init; }
    public bool AutoMode { get; init; }
    public string? Platform { get; init; }
    public string? LastMessage { get; init; }
    public string? LastMessageAt { get; init; }
    public bool Unanswered { get; init; }
    public bool AiRunning { get; init; }
    public string? Error { get; init; }
    public bool IsGroup { get; init; }
    public string? Updated { get; init; }

    /// <summary>
    /// What we write. A null name or thread id is "not known here", so it is left out and an operator's value
    /// survives; <c>error</c> is ours and is cleared with "".
    /// </summary>
    public static ChatRecord From(Chat chat, string? id) => new()
    {
        Id = id,
        PlatformChatId = chat.PlatformChatId,
        Source = chat.Source,
        Name = chat.Name,
        OpenAIThreadId = chat.OpenAIThreadId,
        AutoMode = chat.AutoMode,
        Platform = chat.Platform,
        LastMessage = chat.LastMessage ?? "",
        LastMessageAt = chat.LastMessageAt is { } at ? PocketBaseTime.Format(at) : "",
        Unanswered = chat.Unanswered,
        AiRunning = chat.AiRunning,
        Error = chat.Error ?? "",
        IsGroup = chat.IsGroup,
    };

    /// <summary>Our chat id derives from source + platformChatId whatever id the record has (decision 2).</summary>
    public Chat ToChat() => new()
    {
        Id = ChatIds.ForChat(Source, PlatformChatId),
        PlatformChatId = PlatformChatId,
        Source = Source,
        Platform = string.IsNullOrEmpty(Platform) ? GatewayRegistry.PlatformForSource(Source) ?? Platforms.Brevo : Platform,
        Name = NullIfEmpty(Name),
        Updated = PocketBaseTime.Parse(Updated) ?? default,
        OpenAIThreadId = NullIfEmpty(OpenAIThreadId),
        AutoMode = AutoMode,
        LastMessage = NullIfEmpty(LastMessage),
        LastMessageAt = PocketBaseTime.Parse(LastMessageAt),
        Unanswered = Unanswered,
        AiRunning = AiRunning,
        Error = NullIfEmpty(Error),
        IsGroup = IsGroup,
    };

    internal static string? NullIfEmpty(string? value) => string.IsNullOrEmpty(value) ? null : value;
}

/// <summary>A <c>messages</c> record: <c>chatId</c> is the chat's PocketBase record id.</summary>
public sealed record MessageRecord
{
    public string? Id { get; init; }
    public string PlatformMessageId { get; init; } = "";
    public string Source { get; init; } = "";
    public string ChatId { get; init; } = "";
    public string Type { get; init; } = MessageTypes.Text;
    public string? Content { get; init; }
    public string? MediaFileId { get; init; }
    public bool IsIncoming { get; init; }
    public string? Timestamp { get; init; }
    public string SenderId { get; init; } = "";
    public string? SenderName { get; init; }
    public string? ResponseMode { get; init; }
    public string? Platform { get; init; }
    public string? Status { get; init; }
    public string? Error { get; init; }
    public string? FileName { get; init; }
    public string? MimeType { get; init; }
    public string? Created { get; init; }

    public static MessageRecord From(ChatMessage message, string? id, string recordChatId) => new()
    {
        Id = id,
        PlatformMessageId = message.PlatformMessageId,
        Source = message.Source,
        ChatId = recordChatId,
        Type = message.Type,
        Content = message.Content ?? "",
        // Null leaves a relation an operator (or the original service) set alone.
        MediaFileId = message.MediaFileId,
        IsIncoming = message.IsIncoming,
        Timestamp = PocketBaseTime.Format(message.Timestamp),
        // The seed makes senderId required; a platform that names no sender still gets a record.
        SenderId = string.IsNullOrEmpty(message.SenderId) ? message.ResponseMode ?? "unknown" : message.SenderId,
        SenderName = message.SenderName ?? "",
        ResponseMode = message.ResponseMode ?? "",
        Platform = message.Platform,
        Status = message.Status,
        Error = message.Error ?? "",
        FileName = message.FileName ?? "",
        MimeType = message.MimeType ?? "",
    };

    public ChatMessage ToMessage(string chatId, string? chatPlatform) => new()
    {
        Id = Id!,
        PlatformMessageId = PlatformMessageId,
        Source = Source,
        Platform = ChatRecord.NullIfEmpty(Platform) ?? chatPlatform ?? GatewayRegistry.PlatformForSource(Source) ?? Platforms.Brevo,
        ChatId = chatId,
        Type = Type,
        Content = ChatRecord.NullIfEmpty(Content),
        MediaFileId = ChatRecord.NullIfEmpty(MediaFileId),
        FileName = ChatRecord.NullIfEmpty(FileName),
        MimeType = ChatRecord.NullIfEmpty(MimeType),
        IsIncoming = IsIncoming,
        Timestamp = PocketBaseTime.Parse(Timestamp) ?? default,
        SenderId = SenderId,
        SenderName = ChatRecord.NullIfEmpty(SenderName),
        ResponseMode = ChatRecord.NullIfEmpty(ResponseMode),
        // Records the original service wrote have no status: they were received or sent.
        Status = ChatRecord.NullIfEmpty(Status) ?? (IsIncoming ? MessageStatus.Received : MessageStatus.Sent),
        Error = ChatRecord.NullIfEmpty(Error),
    };
}

/// <summary>A <c>media</c> record (multipart on write, JSON on read).</summary>
public sealed record MediaRecord(string Id, string File, string? Platform, string? FileName, string? MimeType);

public sealed record RecordList<T>(int Page, int PerPage, int TotalItems, int TotalPages, IReadOnlyList<T> Items);

public static class PocketBaseTime
{
    /// <summary>The stored form; filters compare dates as text, so literals must look exactly like this.</summary>
    public static string Format(DateTimeOffset value) =>
        value.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static DateTimeOffset? Parse(string? value) =>
        string.IsNullOrEmpty(value) ? null
        : DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)
            ? parsed
            : null;
}
