using System.Collections.Concurrent;
using System.Text.Json.Nodes;

namespace MessengerAutoReply.Tests.Cluster;

/// <summary>What one SSE client received: a message's id and status, or a resync, with the time it arrived.</summary>
public sealed record StreamRecord(DateTimeOffset At, string Event, string? MessageId, string? Status);

/// <summary>
/// An SSE client as the console behaves: reads <c>/api/stream</c> of one host, and when the stream ends
/// reconnects with <c>Last-Event-ID</c>, to the same host if it still answers, otherwise to another one.
/// </summary>
public sealed class StreamWatcher : IAsyncDisposable
{
    private readonly IReadOnlyList<Func<Uri?>> _hosts;
    private readonly string _apiKey;
    private readonly CancellationTokenSource _stop = new();
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private readonly Task _loop;
    private string? _lastEventId;
    private int _hostIndex;

    public StreamWatcher(string name, IReadOnlyList<Func<Uri?>> hosts, int firstHost, string apiKey)
    {
        Name = name;
        _hosts = hosts;
        _hostIndex = firstHost;
        _apiKey = apiKey;
        _loop = Task.Run(RunAsync);
    }

    public string Name { get; }

    public ConcurrentQueue<StreamRecord> Records { get; } = new();

    /// <summary>Each reconnect: the host it went to and what came first (resync, replay or nothing yet).</summary>
    public ConcurrentQueue<(DateTimeOffset At, int Host, string FirstEvent)> Reconnects { get; } = new();

    public TaskCompletionSource Connected { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private async Task RunAsync()
    {
        var first = true;
        while (!_stop.IsCancellationRequested)
        {
            var host = _hosts[_hostIndex]();
            if (host is null)
            {
                _hostIndex = (_hostIndex + 1) % _hosts.Count;
                continue;
            }
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(host, "/api/stream"));
                request.Headers.Add("X-API-Key", _apiKey);
                request.Headers.Accept.ParseAdd("text/event-stream");
                if (_lastEventId is not null)
                {
                    request.Headers.Add("Last-Event-ID", _lastEventId);
                }
                using var connect = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
                connect.CancelAfter(TimeSpan.FromSeconds(5));
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, connect.Token);
                response.EnsureSuccessStatusCode();
                Connected.TrySetResult();
                await using var body = await response.Content.ReadAsStreamAsync(_stop.Token);
                using var reader = new StreamReader(body);
                string? name = null, id = null, data = null;
                var reconnect = !first;
                first = false;
                while (await reader.ReadLineAsync(_stop.Token) is { } line)
                {
                    if (line.Length == 0)
                    {
                        if (name is not null && name != "ping")
                        {
                            if (reconnect)
                            {
                                Reconnects.Enqueue((DateTimeOffset.UtcNow, _hostIndex, name == "resync" ? "resync" : "replay"));
                                reconnect = false;
                            }
                            Record(name, data);
                            if (id is not null)
                            {
                                _lastEventId = id;
                            }
                        }
                        name = id = data = null;
                    }
                    else if (line.StartsWith("event:", StringComparison.Ordinal))
                    {
                        name = line[6..].Trim();
                    }
                    else if (line.StartsWith("id:", StringComparison.Ordinal))
                    {
                        id = line[3..].Trim();
                    }
                    else if (line.StartsWith("data:", StringComparison.Ordinal))
                    {
                        data = line[5..].TrimStart();
                    }
                }
                if (reconnect)
                {
                    Reconnects.Enqueue((DateTimeOffset.UtcNow, _hostIndex, "nothing"));
                }
            }
            catch (Exception) when (!_stop.IsCancellationRequested)
            {
                // The host is gone or refused: try the next one (a browser's EventSource retries the same URL; the
                // console behind the proxy would land on the surviving host the same way).
                _hostIndex = (_hostIndex + 1) % _hosts.Count;
                try
                {
                    await Task.Delay(200, _stop.Token);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
            catch (Exception)
            {
                return;
            }
        }
    }

    private void Record(string name, string? data)
    {
        if (name == "resync")
        {
            Records.Enqueue(new StreamRecord(DateTimeOffset.UtcNow, "resync", null, null));
            return;
        }
        var json = data is null ? null : JsonNode.Parse(data);
        if (json?["type"]?.GetValue<string>() == "message" && json["record"] is JsonObject record)
        {
            Records.Enqueue(new StreamRecord(DateTimeOffset.UtcNow, "message", record["id"]?.GetValue<string>(), record["status"]?.GetValue<string>()));
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _loop;
        }
        catch (Exception)
        {
            // Ending the read loop by cancellation.
        }
        _http.Dispose();
        _stop.Dispose();
    }
}
