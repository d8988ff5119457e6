using System.Threading.Channels;

namespace MessengerAutoReply.Tests.Infrastructure;

public sealed record SseEvent(string Event, string? Id, string Data);

/// <summary>Reads a text/event-stream by hand, the way a browser's EventSource parses it.</summary>
public sealed class SseClient : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly Channel<SseEvent> _events = Channel.CreateUnbounded<SseEvent>();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _reader;

    private SseClient(HttpResponseMessage response)
    {
        _response = response;
        _reader = Task.Run(ReadAsync);
    }

    public HttpResponseMessage Response => _response;

    public bool Ended => _reader.IsCompleted;

    public static async Task<SseClient> ConnectAsync(HttpClient client, string url, string? lastEventId = null, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }
        var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        return new SseClient(response);
    }

    /// <summary>The next event that is not a ping (pings are skipped unless asked for).</summary>
    public async Task<SseEvent> NextAsync(TimeSpan? timeout = null, bool includePings = false)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var e = await _events.Reader.ReadAsync(cts.Token);
            if (includePings || e.Event != "ping")
            {
                return e;
            }
        }
    }

    /// <summary>Reads events until one matches, returning it and everything before it.</summary>
    public async Task<List<SseEvent>> UntilAsync(Func<SseEvent, bool> match, TimeSpan? timeout = null)
    {
        var seen = new List<SseEvent>();
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(10));
        while (true)
        {
            var e = await NextAsync(deadline - DateTime.UtcNow);
            seen.Add(e);
            if (match(e))
            {
                return seen;
            }
        }
    }

    private async Task ReadAsync()
    {
        try
        {
            await using var stream = await _response.Content.ReadAsStreamAsync(_stop.Token);
            using var reader = new StreamReader(stream);
            string? name = null, id = null;
            var data = new List<string>();
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (name is not null || data.Count > 0)
                    {
                        await _events.Writer.WriteAsync(new SseEvent(name ?? "message", id, string.Join('\n', data)));
                    }
                    name = null;
                    id = null;
                    data.Clear();
                }
                else if (line.StartsWith("event:", StringComparison.Ordinal))
                {
                    name = line[6..].TrimStart();
                }
                else if (line.StartsWith("id:", StringComparison.Ordinal))
                {
                    id = line[3..].TrimStart();
                }
                else if (line.StartsWith("data:", StringComparison.Ordinal))
                {
                    data.Add(line[5..].TrimStart());
                }
            }
        }
        catch (Exception) when (_stop.IsCancellationRequested)
        {
        }
        catch (IOException)
        {
        }
        catch (HttpRequestException)
        {
        }
        finally
        {
            _events.Writer.TryComplete();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        try
        {
            await _reader;
        }
        catch (Exception)
        {
            // The read loop ends on cancellation or a closed connection; either is fine here.
        }
        _stop.Dispose();
    }
}
