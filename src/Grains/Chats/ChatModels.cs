using System.Text.Json.Serialization;

namespace MessengerAutoReply.Chats;

/// <summary>
/// A conversation with one customer (or one group) on one platform. Field names are the seed's, so the
/// same record serves grain state, the archive and the REST JSON.
/// </summary>
[GenerateSerializer, Immutable, Alias("MessengerAutoReply.Chat")]
public sealed record Chat
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string PlatformChatId { get; init; }
    /// <summary>What the customer used: telegram, instagram, whatsapp, ...</summary>
    [Id(2)] public required string Source { get; init; }
    /// <summary>How we reach the customer: telegram or brevo (decision 3).</summary>
    [Id(3)] public required string Platform { get; init; }
    [Id(4)] public string? Name { get; init; }
    [Id(5)] public DateTimeOffset Updated { get; init; }
    [Id(6)] public string? OpenAIThreadId { get; init; }
    [Id(7)] public bool AutoMode { get; init; }
    [Id(8)] public string? LastMessage { get; init; }
    [Id(9)] public DateTimeOffset? LastMessageAt { get; init; }
    [Id(10)] public bool Unanswered { get; init; }
    [Id(11)] public bool AiRunning { get; init; }
    [Id(12)] public string? Error { get; init; }
    [Id(13)] public bool IsGroup { get; init; }
}

/// <summary>One message in a chat, incoming (customer) or outgoing (AI, operator, API).</summary>
[GenerateSerializer, Immutable, Alias("MessengerAutoReply.ChatMessage")]
public sealed record ChatMessage
{
    [Id(0)] public required string Id { get; init; }
    [Id(1)] public required string PlatformMessageId { get; init; }
    [Id(2)] public required string Source { get; init; }
    [Id(3)] public required string Platform { get; init; }
    [Id(4)] public required string ChatId { get; init; }
    [Id(5)] public string Type { get; init; } = MessageTypes.Text;
    [Id(6)] public string? Content { get; init; }
    [Id(7)] public string? MediaFileId { get; init; }
    [Id(8)] public string? FileName { get; init; }
    [Id(9)] public string? MimeType { get; init; }
    [Id(10)] public bool IsIncoming { get; init; }
    [Id(11)] public DateTimeOffset Timestamp { get; init; }
    [Id(12)] public string SenderId { get; init; } = "";
    [Id(13)] public string? SenderName { get; init; }
    /// <summary>Who wrote an outgoing message: ai, operator or api; null for incoming ones.</summary>
    [Id(14)] public string? ResponseMode { get; init; }
    [Id(15)] public string Status { get; init; } = MessageStatus.Received;
    [Id(16)] public string? Error { get; init; }
}

public static class MessageTypes
{
    public const string Text = "text";
    public const string Voice = "voice";
    public const string Audio = "audio";
    public const string Image = "image";
    public const string Document = "document";
    public const string Sticker = "sticker";
    public const string Video = "video";
    public const string VideoNote = "video_note";
    public const string Location = "location";
    public const string Contact = "contact";
    public const string Poll = "poll";
}

public static class MessageStatus
{
    public const string Received = "received";
    public const string Pending = "pending";
    public const string Sent = "sent";
    public const string Failed = "failed";
    public const string Discarded = "discarded";
    public const string Unanswered = "unanswered";
}

public static class ResponseModes
{
    public const string Ai = "ai";
    public const string Operator = "operator";
    public const string Api = "api";

    public static bool IsKnownForApi(string? mode) => mode is null or Operator or Api;
}

public static class Platforms
{
    public const string Telegram = "telegram";
    public const string Brevo = "brevo";
}

public static class Sources
{
    public const string Telegram = "telegram";
    public const string Instagram = "instagram";
}

/// <summary>What every Orleans stream subscriber and SSE client sees: the seed's <c>{type, record}</c>.</summary>
[GenerateSerializer, Immutable, Alias("MessengerAutoReply.ChatEvent")]
public sealed record ChatEvent
{
    public const string MessageType = "message";
    public const string ChatType = "chat";

    [Id(0)] public required string Type { get; init; }
    [Id(1)] public Chat? Chat { get; init; }
    [Id(2)] public ChatMessage? Message { get; init; }

    [JsonIgnore] public string ChatId => Message?.ChatId ?? Chat?.Id ?? "";
    [JsonIgnore] public string Source => Message?.Source ?? Chat?.Source ?? "";

    public static ChatEvent For(ChatMessage message) => new() { Type = MessageType, Message = message };
    public static ChatEvent For(Chat chat) => new() { Type = ChatType, Chat = chat };
}
