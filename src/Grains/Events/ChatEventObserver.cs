using MessengerAutoReply.Chats;

namespace MessengerAutoReply.Events;

/// <summary>An API host's observer: what the silos push arrives here and goes to this process's listeners.</summary>
public sealed class ChatEventObserver(LocalChatEvents local) : IChatEventObserver
{
    public Task OnEventsAsync(ChatEvent[] events)
    {
        foreach (var e in events)
        {
            local.Publish(e);
        }
        return Task.CompletedTask;
    }
}
