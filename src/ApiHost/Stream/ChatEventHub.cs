using System.Security.Cryptography;
using System.Text.Json;
using System.Threading.Channels;
using MessengerAutoReply.Archive;
using MessengerAutoReply.Chats;

namespace MessengerAutoReply.ApiHost.Stream;

public sealed class StreamOptions
{
    /// <summary>SSE_PING_INTERVAL: a ping event keeps proxies from closing idle streams.</summary>
    public TimeSpan PingInterval { get; init; } = TimeSpan.FromSeconds(15);

    /// <summary>SSE_REPLAY_BUFFER: how many recent events a reconnecting client can get back.</summary>
    public int ReplayBuffer { get; init; } = 10_000;

    /// <summary>Events a slow client may fall behind before its stream is ended (it reconnects and replays).</summary>
    public int ClientBuffer { get; init; } = 1_000;

    /// <summary>SSE_CLUSTER_CHECK_INTERVAL: how often a cluster-mode API host looks at the active silos.</summary>
    public TimeSpan ClusterCheckInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>SSE_RESYNC_SETTLE: after a cluster change, the second resync once the silos have been stable this long.</summary>
    public TimeSpan ResyncSettle { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>One event as it goes out: an id that says which host numbered it, and its JSON, serialized once.</summary>
public sealed record StreamEnvelope(long Sequence, string EventId, string ChatId, string Source, string Data)
{
    /// <summary>Not an event: tells the client that events may have been lost and it must refetch (decision 13).</summary>
    public bool IsResync { get; init; }
}

/// <summary>
/// The in-process fan-out of chat events: one Orleans subscription feeds it, every SSE connection reads its
/// own bounded channel, and a ring buffer lets a reconnecting client replay the gap (decision 13).
/// </summary>
public sealed class ChatEventHub(StreamOptions options)
{
    private readonly Lock _gate = new();
    private readonly StreamEnvelope?[] _ring = new StreamEnvelope?[Math.Max(1, options.ReplayBuffer)];
    private readonly List<Subscriber> _subscribers = [];
    private long _sequence;
    private long _resyncedAt;

    /// <summary>Changes at every start, so an id from another host or an earlier run is recognized as foreign.</summary>
    public string Epoch { get; } = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4));

    public int SubscriberCount
    {
        get
        {
            lock (_gate)
            {
                return _subscribers.Count;
            }
        }
    }

    public void Publish(ChatEvent e)
    {
        var data = JsonSerializer.Serialize(new { type = e.Type, record = (object?)e.Message ?? e.Chat }, ArchiveJson.Options);
        lock (_gate)
        {
            var sequence = ++_sequence;
            var envelope = new StreamEnvelope(sequence, $"{Epoch}-{sequence}", e.ChatId, e.Source, data);
            _ring[sequence % _ring.Length] = envelope;
            for (var i = _subscribers.Count - 1; i >= 0; i--)
            {
                var subscriber = _subscribers[i];
                if (subscriber.Matches(envelope) && !subscriber.Writer.TryWrite(envelope))
                {
                    // Too slow: end its stream; the client reconnects with Last-Event-ID and replays from the ring.
                    subscriber.Writer.TryComplete();
                    _subscribers.RemoveAt(i);
                }
            }
        }
    }

    public Subscription Subscribe(string? chatId, string? source, string? lastEventId)
    {
        var channel = Channel.CreateBounded<StreamEnvelope>(new BoundedChannelOptions(options.ClientBuffer)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var subscriber = new Subscriber(chatId, source, channel.Writer);
        lock (_gate)
        {
            var replay = new List<StreamEnvelope>();
            var resync = false;
            if (!string.IsNullOrEmpty(lastEventId))
            {
                resync = !TryReplay(lastEventId, subscriber, replay);
            }
            _subscribers.Add(subscriber);
            return new Subscription(this, subscriber, channel.Reader, replay, resync);
        }
    }

    /// <summary>
    /// Events may have been lost before they reached this host (a silo died with the stream's queue, or the cluster
    /// was unreachable): every open stream gets <c>resync</c>, and a client that reconnects with an id from before
    /// this point gets one too, so a client that missed the resync itself (too slow, reconnecting) still refetches.
    /// </summary>
    public int ResyncAll()
    {
        lock (_gate)
        {
            _resyncedAt = _sequence;
            var envelope = new StreamEnvelope(_sequence, "", "", "", "{}") { IsResync = true };
            var told = 0;
            for (var i = _subscribers.Count - 1; i >= 0; i--)
            {
                var subscriber = _subscribers[i];
                if (subscriber.Writer.TryWrite(envelope))
                {
                    told++;
                }
                else
                {
                    // Full: ended like a slow client; its reconnect is older than _resyncedAt, so it gets resync.
                    subscriber.Writer.TryComplete();
                    _subscribers.RemoveAt(i);
                }
            }
            return told;
        }
    }

    private bool TryReplay(string lastEventId, Subscriber subscriber, List<StreamEnvelope> replay)
    {
        var dash = lastEventId.LastIndexOf('-');
        if (dash <= 0 || lastEventId[..dash] != Epoch || !long.TryParse(lastEventId[(dash + 1)..], out var last) || last > _sequence || last < _resyncedAt)
        {
            return false;
        }
        var oldestKept = Math.Max(1, _sequence - _ring.Length + 1);
        if (last + 1 < oldestKept)
        {
            return false;
        }
        for (var s = last + 1; s <= _sequence; s++)
        {
            if (_ring[s % _ring.Length] is { } envelope && subscriber.Matches(envelope))
            {
                replay.Add(envelope);
            }
        }
        return true;
    }

    private void Remove(Subscriber subscriber)
    {
        lock (_gate)
        {
            _subscribers.Remove(subscriber);
        }
    }

    /// <summary>Ends every open stream at once: on shutdown no client may hold the host (orleans-notes, 3).</summary>
    public void CompleteAll()
    {
        lock (_gate)
        {
            foreach (var subscriber in _subscribers)
            {
                subscriber.Writer.TryComplete();
            }
            _subscribers.Clear();
        }
    }

    public sealed record Subscriber(string? ChatId, string? Source, ChannelWriter<StreamEnvelope> Writer)
    {
        public bool Matches(StreamEnvelope e) =>
            (ChatId is null || ChatId == e.ChatId) && (Source is null || string.Equals(Source, e.Source, StringComparison.OrdinalIgnoreCase));
    }

    public sealed class Subscription(
        ChatEventHub hub,
        Subscriber subscriber,
        ChannelReader<StreamEnvelope> reader,
        IReadOnlyList<StreamEnvelope> replay,
        bool resync) : IDisposable
    {
        public ChannelReader<StreamEnvelope> Reader => reader;
        public IReadOnlyList<StreamEnvelope> Replay => replay;
        public bool Resync => resync;

        public void Dispose() => hub.Remove(subscriber);
    }
}
