namespace MessengerAutoReply.Chats;

/// <summary>Names of the grain storage providers.</summary>
public static class StorageNames
{
    public const string Chats = "chatStore";
}
