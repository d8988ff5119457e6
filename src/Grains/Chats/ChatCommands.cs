namespace MessengerAutoReply.Chats;

/// <summary>Who a chat is, as the platform names it; enough to create the chat on first contact.</summary>
[GenerateSerializer, Immutable, Alias("MessengerAutoReply.ChatAddress")]
public sealed record ChatAddress
{
    [Id(0)] public required string Source { get; init; }
    [Id(1)] public required string Platform { get; init; }
    [Id(2)] public required string PlatformChatId { get; init; }
    [Id(3)] public string? Name { get; init; }
    [Id(4)] public bool IsGroup { get; init; }

    public string ChatId => ChatIds.ForChat(Source, PlatformChatId);
}

/// <summary>A message as an ingress grain normalized it from a platform update or event.</summary>
[GenerateSerializer, Immutable, Alias("MessengerAutoReply.InboundMessage")]
public sealed record InboundMessage
{
    [Id(0)] public required ChatAddress Chat { get; init; }
    [Id(1)] public required string PlatformMessageId { get; init; }
    [Id(2)] public string Type { get; init; } = MessageTypes.Text;
    [Id(3)] public string? Content { get; init; }
    [Id(4)] public string? MediaFileId { get; init; }
    [Id(5)] public string? FileName { get; init; }
    [Id(6)] public string? MimeType { get; init; }
    [Id(7)] public DateTimeOffset Timestamp { get; init; }
    [Id(8)] public string SenderId { get; init; } = "";
    [Id(9)] public string? SenderName { get; init; }
    /// <summary>An edit of an already stored message: update it, answer nothing.</summary>
    [Id(10)] public bool IsEdit { get; init; }
    /// <summary>Written on the platform by a human agent (e.g. in Brevo's inbox): stored as outgoing.</summary>
    [Id(11)] public bool FromAgent { get; init; }
    /// <summary>A file to fetch into the media store after the message is accepted.</summary>
    [Id(12)] public Media.MediaRef? Media { get; init; }
    /// <summary>The platform echoing a reply we sent ourselves (e.g. Brevo's agent fragment with our receivedFrom).</summary>
    [Id(13)] public bool IsOwnEcho { get; init; }
    /// <summary>
    /// With <see cref="FromAgent"/>: written by the platform's automation (Brevo triggers, pushed notices, its bot,
    /// another API integration), not by a person: stored as outgoing, never an operator takeover.
    /// </summary>
    [Id(14)] public bool Automated { get; init; }
}

public enum ReceiveOutcome
{
    Accepted,
    Duplicate,
    Updated,
}

[GenerateSerializer, Immutable, Alias("MessengerAutoReply.ReceiveResult")]
public sealed record ReceiveResult([property: Id(0)] ReceiveOutcome Outcome, [property: Id(1)] ChatMessage? Message);

/// <summary>A reply to send: from the REST API (operator, integration) or from the AI.</summary>
[GenerateSerializer, Immutable, Alias("MessengerAutoReply.OutboundRequest")]
public sealed record OutboundRequest
{
    /// <summary>Needed when the chat does not exist yet (a first message to a Telegram user).</summary>
    [Id(0)] public ChatAddress? Chat { get; init; }
    [Id(1)] public required string Text { get; init; }
    [Id(2)] public string? SenderName { get; init; }
    [Id(3)] public string ResponseMode { get; init; } = ResponseModes.Operator;
    /// <summary>Idempotency key: the same key twice is one message (decision 2).</summary>
    [Id(4)] public required string DeliveryKey { get; init; }
}

public enum SendOutcome
{
    Accepted,
    Duplicate,
    UnknownChat,
}

[GenerateSerializer, Immutable, Alias("MessengerAutoReply.SendResult")]
public sealed record SendResult(
    [property: Id(0)] SendOutcome Outcome,
    [property: Id(1)] IReadOnlyList<ChatMessage> Messages);
