namespace MessengerAutoReply.Chats;

internal static class Placeholder;
