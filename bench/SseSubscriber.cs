using System.Collections.Concurrent;
using System.Net.ServerSentEvents;

namespace MessengerAutoReply.Bench;

/// <summary>
/// One <c>GET /api/stream</c> connection. Remembers when it first saw each bench message (by its text, which is
/// unique per message) and counts every event it got.
/// </summary>
public sealed class SseSubscriber : IAsyncDisposable
{
    private const string ContentMarker = "\"content\":\"";

    private readonly CancellationTokenSource _stop = new();
    private readonly TaskCompletionSource _connected = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task _loop = Task.CompletedTask;
    private int _events;

    public ConcurrentDictionary<string, double> Seen { get; } = new(StringComparer.Ordinal);

    public int Events => Volatile.Read(ref _events);

    /// <summary>The stream ended before the bench closed it (the hub drops a client that falls too far behind).</summary>
    public bool Dropped { get; private set; }

    public static async Task<SseSubscriber> ConnectAsync(HttpClient http, ServiceUnderTest service, string query = "source=telegram")
    {
        var subscriber = new SseSubscriber();
        subscriber._loop = Task.Run(() => subscriber.ReadAsync(http, service, query));
        await subscriber._connected.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return subscriber;
    }

    private async Task ReadAsync(HttpClient http, ServiceUnderTest service, string query)
    {
        try
        {
            using var request = service.Api(HttpMethod.Get, "/api/stream?" + query);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, _stop.Token);
            response.EnsureSuccessStatusCode();
            await using var body = await response.Content.ReadAsStreamAsync(_stop.Token);
            _connected.TrySetResult();
            await foreach (var item in SseParser.Create(body).EnumerateAsync(_stop.Token))
            {
                if (item.EventType != "update")
                {
                    continue;
                }
                var now = Clock.NowMs();
                Interlocked.Increment(ref _events);
                var data = item.Data;
                var at = data.IndexOf(ContentMarker, StringComparison.Ordinal);
                if (at >= 0)
                {
                    var start = at + ContentMarker.Length;
                    var end = data.IndexOf('"', start);
                    if (end > start)
                    {
                        Seen.TryAdd(data[start..end], now);
                    }
                }
            }
            Dropped = !_stop.IsCancellationRequested;
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception ex)
        {
            Dropped = !_stop.IsCancellationRequested;
            _connected.TrySetException(ex);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop.WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
        }
        _stop.Dispose();
    }
}
