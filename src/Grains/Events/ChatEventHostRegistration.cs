using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Events;

/// <summary>
/// Cluster mode, API host side: keeps this host's observer registered with <see cref="IChatEventHostsGrain"/>
/// (renewed every <see cref="ChatEventHostLease.Renewal"/>, so a reactivated registry or a restarted cluster
/// learns about it again) and removes it on a graceful stop. Registered after Orleans' client.
/// </summary>
public sealed partial class ChatEventHostRegistration(
    IClusterClient client,
    ChatEventObserver observer,
    TimeProvider time,
    ILogger<ChatEventHostRegistration> logger) : BackgroundService
{
    private IChatEventObserver? _reference;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        _reference = client.CreateObjectReference<IChatEventObserver>(observer);
        var hosts = client.GetGrain<IChatEventHostsGrain>(0);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await hosts.RenewAsync(_reference, ChatEventHostLease.Lease);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                LogRenewFailed(ex);
            }
            try
            {
                await Task.Delay(ChatEventHostLease.Renewal, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_reference is not null)
        {
            try
            {
                await client.GetGrain<IChatEventHostsGrain>(0).RemoveAsync(_reference).WaitAsync(TimeSpan.FromSeconds(2), cancellationToken);
            }
            catch (Exception ex)
            {
                // Its lease runs out on its own.
                LogRemoveFailed(ex);
            }
            client.DeleteObjectReference<IChatEventObserver>(_reference);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Renewing this API host's chat event lease failed; retrying")]
    private partial void LogRenewFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Removing this API host's chat event lease failed; it expires on its own")]
    private partial void LogRemoveFailed(Exception ex);
}
