namespace MessengerAutoReply.Chats;

/// <summary>
/// The clock chats use for their own timing (debounce, backoff, hand-back). It is a keyed service so a test
/// can swap it for a fake without stopping the clock Orleans itself runs on.
/// </summary>
public static class ChatClock
{
    public const string Key = "chats";
}
