namespace MessengerAutoReply.Chats;

public static class ChatStreams
{
    public const string Provider = "chat";
    public const string Namespace = "chat-events";

    /// <summary>One stream for every chat: each API host subscribes once and filters in process.</summary>
    public static readonly StreamId All = StreamId.Create(Namespace, "all");
}
