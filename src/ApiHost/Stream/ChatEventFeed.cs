using MessengerAutoReply.Events;

namespace MessengerAutoReply.ApiHost.Stream;

/// <summary>Feeds the SSE hub from this process's pushed chat events (<see cref="IChatEventSource"/>).</summary>
public sealed class ChatEventFeed(IChatEventSource source, ChatEventHub hub) : IHostedService
{
    private IDisposable? _subscription;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _subscription = source.Subscribe(hub.Publish);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _subscription?.Dispose();
        // Open SSE responses end now, so Kestrel's graceful stop does not wait for them.
        hub.CompleteAll();
        return Task.CompletedTask;
    }
}
