using Orleans.Runtime;

namespace MessengerAutoReply.ApiHost.Stream;

/// <summary>
/// Cluster mode: chat events travel through memory-stream queues that live in silo memory, so a silo that dies
/// (or stops) can take events with it, and the API host cannot see which. This watcher reads the active silos
/// every <see cref="StreamOptions.ClusterCheckInterval"/>; when the set changes, or the cluster stops answering,
/// it sends <c>resync</c> to every stream at once and once more when the set has been stable for
/// <see cref="StreamOptions.ResyncSettle"/> (events lost while the queues moved). Clients then refetch through
/// REST, which has every accepted message (decision 13: nothing is missed either way).
/// </summary>
public sealed partial class ClusterChangeWatcher(
    IClusterClient client,
    ChatEventHub hub,
    StreamOptions options,
    TimeProvider time,
    ILogger<ClusterChangeWatcher> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string? known = null;
        DateTimeOffset? settleAt = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.ClusterCheckInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            string current;
            try
            {
                var hosts = await client.GetGrain<IManagementGrain>(0).GetHosts(onlyActive: true, stoppingToken)
                    .WaitAsync(options.ClusterCheckInterval * 5, stoppingToken);
                current = string.Join(',', hosts.Keys.Select(k => k.ToString()).Order(StringComparer.Ordinal));
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception)
            {
                current = "unreachable";
            }
            if (known is not null && current != known)
            {
                LogChanged(hub.ResyncAll(), known, current);
                settleAt = time.GetUtcNow() + options.ResyncSettle;
            }
            else if (settleAt is { } at && time.GetUtcNow() >= at)
            {
                LogSettled(hub.ResyncAll());
                settleAt = null;
            }
            known = current;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster changed ({Before} -> {After}): resync sent to {Streams} SSE streams")]
    private partial void LogChanged(int streams, string before, string after);

    [LoggerMessage(Level = LogLevel.Information, Message = "Cluster stable again: resync sent to {Streams} SSE streams")]
    private partial void LogSettled(int streams);
}
