namespace MessengerAutoReply.Chats;

/// <summary>
/// One chat: its record, its autoMode, and the order of everything said in it. Keyed by chat id.
/// </summary>
public interface IChatGrain : IGrainWithStringKey
{
    /// <summary>Stores a customer's (or a platform agent's) message. Returns once it is durable in grain state.</summary>
    Task<ReceiveResult> ReceiveAsync(InboundMessage message);

    /// <summary>Stores a reply as pending and queues its delivery; returns the stored message(s).</summary>
    Task<SendResult> SendAsync(OutboundRequest request);

    /// <summary>The chat, or null when no message ever reached it.</summary>
    ValueTask<Chat?> GetAsync();

    /// <summary>Messages whose newest version the archive does not have yet (it trails grain state, decision 4).</summary>
    ValueTask<IReadOnlyList<ChatMessage>> GetUnarchivedAsync();

    /// <summary>Null when the chat does not exist.</summary>
    Task<Chat?> SetAutoModeAsync(bool autoMode);

    /// <summary>Resumes pending work (deliveries, archive writes) after a restart or a silo loss.</summary>
    Task WakeAsync();
}
