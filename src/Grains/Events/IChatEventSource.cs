using MessengerAutoReply.Chats;

namespace MessengerAutoReply.Events;

/// <summary>This process's side of the push: the API host's hub listens here for every chat's events.</summary>
public interface IChatEventSource
{
    /// <summary>Called for each event, on the publisher's thread: keep it short (the hub only queues). Dispose to stop.</summary>
    IDisposable Subscribe(Action<ChatEvent> listener);
}
