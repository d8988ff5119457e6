using MessengerAutoReply.Chats;

namespace MessengerAutoReply.Tests.Chats;

/// <summary>Plain inputs for the chat's pure policy tests (no Orleans, no I/O).</summary>
internal static class ChatTestData
{
    public static readonly ChatAddress Address = new()
    {
        Source = Sources.Telegram,
        Platform = Platforms.Telegram,
        PlatformChatId = "42",
        Name = "Ann",
    };

    public static InboundMessage Customer(string platformId, string text, DateTimeOffset at = default) => new()
    {
        Chat = Address,
        PlatformMessageId = platformId,
        Content = text,
        Timestamp = at,
        SenderId = "42",
    };

    public static InboundMessage Operator(string platformId, string text) => new()
    {
        Chat = Address,
        PlatformMessageId = platformId,
        Content = text,
        SenderId = "agent",
        FromAgent = true,
    };
}
