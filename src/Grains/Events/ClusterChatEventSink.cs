using System.Threading.Channels;
using MessengerAutoReply.Chats;
using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Events;

/// <summary>
/// Cluster mode's transport, silo side: events queue here and one loop pushes them in batches (whatever queued
/// while the last batch went out, up to <see cref="MaxBatch"/>) to every API host's observer, in order. The
/// host list comes from <see cref="IChatEventHostsGrain"/>, re-read every <see cref="ChatEventHostLease.Refresh"/>.
/// Latency is one message hop per event instead of a stream's pulling period; the queue is bounded, and when
/// full the oldest events go (SSE clients that miss events get <c>resync</c> on reconnect, decision 13).
/// </summary>
public sealed partial class ClusterChatEventSink : IChatEventSink, IDisposable
{
    public const int MaxBatch = 256;
    public const int MaxQueued = 100_000;
    public static readonly TimeSpan PushWait = TimeSpan.FromSeconds(2);

    private readonly IGrainFactory _grains;
    private readonly TimeProvider _time;
    private readonly ILogger<ClusterChatEventSink> _logger;
    private readonly Channel<ChatEvent> _queue = Channel.CreateBounded<ChatEvent>(new BoundedChannelOptions(MaxQueued)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.DropOldest,
    });
    private readonly Lock _gate = new();
    private Task? _loop;
    private IChatEventObserver[] _hosts = [];
    private DateTimeOffset _hostsReadAt = DateTimeOffset.MinValue;

    public ClusterChatEventSink(IGrainFactory grains, TimeProvider time, ILogger<ClusterChatEventSink> logger)
    {
        _grains = grains;
        _time = time;
        _logger = logger;
    }

    public void Publish(ChatEvent chatEvent)
    {
        if (_loop is null)
        {
            lock (_gate)
            {
                _loop ??= Task.Run(LoopAsync);
            }
        }
        _queue.Writer.TryWrite(chatEvent);
    }

    public void Dispose() => _queue.Writer.TryComplete();

    private async Task LoopAsync()
    {
        var batch = new List<ChatEvent>(MaxBatch);
        while (await _queue.Reader.WaitToReadAsync())
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _queue.Reader.TryRead(out var e))
            {
                batch.Add(e);
            }
            var events = batch.ToArray();
            var hosts = await HostsAsync();
            if (hosts.Length > 0)
            {
                try
                {
                    // In order per host: the next batch leaves once every host answered this one, or after
                    // PushWait (a host that is gone or stuck must not hold the others up).
                    await Task.WhenAll(hosts.Select(h => h.OnEventsAsync(events))).WaitAsync(PushWait);
                }
                catch (Exception ex)
                {
                    LogPushFailed(ex);
                }
            }
        }
    }

    private async Task<IChatEventObserver[]> HostsAsync()
    {
        var now = _time.GetUtcNow();
        // While the process stops, the host list stays as it was: the registry grain may be on a silo that is
        // leaving, and asking it then only fails with Orleans' "shutting down" errors.
        if (now - _hostsReadAt < ChatEventHostLease.Refresh || MessengerAutoReply.Hosting.StopSignal.Requested)
        {
            return _hosts;
        }
        try
        {
            _hosts = await _grains.GetGrain<IChatEventHostsGrain>(0).HostsAsync();
        }
        catch (Exception ex)
        {
            // Keep pushing to the hosts we knew; the next refresh tries again.
            LogHostsUnavailable(ex);
        }
        _hostsReadAt = now;
        return _hosts;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Pushing chat events to an API host failed")]
    private partial void LogPushFailed(Exception ex);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The list of API hosts for chat events could not be read; pushing to the hosts known before")]
    private partial void LogHostsUnavailable(Exception ex);
}
