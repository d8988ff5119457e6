using MessengerAutoReply.Chats;

namespace MessengerAutoReply.Delivery;

/// <summary>
/// Sends to one platform. Grains see only this; HTTP, SDKs, pacing and retries of transient errors stay in
/// the adapter behind it.
/// </summary>
public interface IMessengerGateway
{
    /// <summary>The <see cref="Chat.Platform"/> this gateway serves.</summary>
    string Platform { get; }

    /// <summary>Longest text one platform message may carry; longer replies are split before they are stored.</summary>
    int MaxTextLength { get; }

    Task<DeliveryResult> SendTextAsync(Chat chat, ChatMessage message, CancellationToken cancellationToken);

    /// <summary>
    /// The least time between two sends to one chat (Telegram: 1 s). The chat keeps its last send time in its state
    /// and waits this long itself, so the limit holds when the chat moves to another silo (decision 10).
    /// </summary>
    TimeSpan MinSendInterval(Chat chat) => TimeSpan.Zero;

    Task SendTypingAsync(Chat chat, CancellationToken cancellationToken);
}
