using MessengerAutoReply.Chats;

namespace MessengerAutoReply.Events;

/// <summary>
/// Where a chat grain hands its events (decision 13's stream): pushed to the API hosts, never polled. Publish
/// returns at once and never throws; events are best effort like the stream before them (a client that misses
/// one gets <c>resync</c> on reconnect), so they cost the grain's turn no round trip.
/// </summary>
public interface IChatEventSink
{
    void Publish(ChatEvent chatEvent);
}
