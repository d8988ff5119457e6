using MessengerAutoReply.Chats;

namespace MessengerAutoReply.Events;

/// <summary>
/// The embedded default's transport: the co-hosted silo and the API host share one process, so an event goes
/// from the grain straight to the listeners (the SSE hub) with no queue, no stream provider and no pulling
/// agent in between. In cluster mode the API hosts' observers feed the same class on their side.
/// </summary>
public sealed class LocalChatEvents : IChatEventSink, IChatEventSource
{
    private readonly Lock _gate = new();
    private Action<ChatEvent>[] _listeners = [];

    public void Publish(ChatEvent chatEvent)
    {
        // Copy-on-write array: publishing takes no lock.
        foreach (var listener in Volatile.Read(ref _listeners))
        {
            try
            {
                listener(chatEvent);
            }
            catch (Exception)
            {
                // A failing listener must not cost the grain its turn or the other listeners their event.
            }
        }
    }

    public IDisposable Subscribe(Action<ChatEvent> listener)
    {
        lock (_gate)
        {
            _listeners = [.. _listeners, listener];
        }
        return new Subscription(this, listener);
    }

    private void Remove(Action<ChatEvent> listener)
    {
        lock (_gate)
        {
            _listeners = [.. _listeners.Where(l => l != listener)];
        }
    }

    private sealed class Subscription(LocalChatEvents owner, Action<ChatEvent> listener) : IDisposable
    {
        public void Dispose() => owner.Remove(listener);
    }
}
