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

    Task SendTypingAsync(Chat chat, CancellationToken cancellationToken);
}
