using MessengerAutoReply.Chats;

namespace MessengerAutoReply.Events;

/// <summary>An API host in cluster mode, as the silos see it: an Orleans observer the events are pushed to.</summary>
public interface IChatEventObserver : IGrainObserver
{
    /// <summary>
    /// Awaited, not one-way: a client runs one-way calls concurrently, so batches could overtake each other;
    /// the sink sends a host its next batch once this one is answered (and waits for a slow host only briefly).
    /// </summary>
    Task OnEventsAsync(ChatEvent[] events);
}
