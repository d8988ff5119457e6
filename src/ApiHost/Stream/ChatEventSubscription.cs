using MessengerAutoReply.Chats;
using Orleans.Streams;

namespace MessengerAutoReply.ApiHost.Stream;

/// <summary>
/// This host's one subscription to the chat stream. Registered after Orleans so the stream provider exists;
/// it unsubscribes on a graceful stop, since subscriptions are persisted in PubSubStore.
/// </summary>
public sealed partial class ChatEventSubscription(
    IClusterClient client,
    ChatEventHub hub,
    ILogger<ChatEventSubscription> logger) : IHostedService
{
    private StreamSubscriptionHandle<ChatEvent>? _handle;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var stream = client.GetStreamProvider(ChatStreams.Provider).GetStream<ChatEvent>(ChatStreams.All);
        _handle = await stream.SubscribeAsync((e, _) =>
        {
            hub.Publish(e);
            return Task.CompletedTask;
        });
        LogSubscribed();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        hub.CompleteAll();
        if (_handle is not null)
        {
            try
            {
                await _handle.UnsubscribeAsync();
            }
            catch (Exception ex)
            {
                LogUnsubscribeFailed(ex);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Subscribed to the chat event stream")]
    private partial void LogSubscribed();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Unsubscribing from the chat event stream failed")]
    private partial void LogUnsubscribeFailed(Exception ex);
}
