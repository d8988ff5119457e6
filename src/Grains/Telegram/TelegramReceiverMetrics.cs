using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace MessengerAutoReply.Telegram;

/// <summary>
/// What the long-polling receiver did, as counters of the service's meter (exported with the others when
/// OpenTelemetry is on), with totals for tests and health views. Per process: only the silo that hosts the
/// receiver grain counts.
/// </summary>
public sealed class TelegramReceiverMetrics : IDisposable
{
    public const string MeterName = "MessengerAutoReply";

    private readonly Meter _meter;
    private readonly Counter<long> _polls;
    private readonly Counter<long> _emptyPolls;
    private readonly Counter<long> _emptyPollWaits;
    private readonly Counter<long> _updates;
    private readonly Counter<long> _parked;
    private readonly Counter<long> _errors;
    private readonly Counter<long> _idJumps;
    private long _pollsTotal;
    private long _emptyPollsTotal;
    private long _emptyPollWaitsTotal;
    private long _parkedTotal;
    private long _errorsTotal;
    private long _idJumpsTotal;
    private readonly ConcurrentDictionary<string, long> _errorsByKind = new(StringComparer.Ordinal);

    public TelegramReceiverMetrics(IMeterFactory? meters = null)
    {
        _meter = meters?.Create(MeterName) ?? new Meter(MeterName);
        _polls = _meter.CreateCounter<long>("messenger.telegram.receiver.polls", "{call}", "getUpdates calls answered with updates or with none");
        _emptyPolls = _meter.CreateCounter<long>("messenger.telegram.receiver.empty_polls", "{call}", "getUpdates calls answered with no update");
        _emptyPollWaits = _meter.CreateCounter<long>("messenger.telegram.receiver.empty_poll_waits", "{call}",
            "Empty answers that came back before TELEGRAM_POLL_EMPTY_BACKOFF (a server or proxy that does not long-poll), each followed by a wait");
        _updates = _meter.CreateCounter<long>("messenger.telegram.receiver.updates", "{update}", "Updates received by getUpdates (redeliveries included)");
        _parked = _meter.CreateCounter<long>("messenger.telegram.receiver.parked", "{update}",
            "Updates set aside with their raw JSON because they could not be read or their chat refused them repeatedly");
        _errors = _meter.CreateCounter<long>("messenger.telegram.receiver.errors", "{error}",
            "Failed getUpdates calls and failed hand-offs to chats, tagged by kind");
        _idJumps = _meter.CreateCounter<long>("messenger.telegram.receiver.update_id_jumps", "{jump}",
            "Batches whose update_id was not the expected next one (ids restarted, another client confirmed updates)");
    }

    public long Polls => Interlocked.Read(ref _pollsTotal);

    public long EmptyPolls => Interlocked.Read(ref _emptyPollsTotal);

    public long EmptyPollWaits => Interlocked.Read(ref _emptyPollWaitsTotal);

    public long Parked => Interlocked.Read(ref _parkedTotal);

    public long Errors => Interlocked.Read(ref _errorsTotal);

    public long IdJumps => Interlocked.Read(ref _idJumpsTotal);

    public long ErrorsOf(string kind) => _errorsByKind.GetValueOrDefault(kind);

    public void Poll(int updates)
    {
        Interlocked.Increment(ref _pollsTotal);
        _polls.Add(1);
        if (updates == 0)
        {
            Interlocked.Increment(ref _emptyPollsTotal);
            _emptyPolls.Add(1);
        }
        else
        {
            _updates.Add(updates);
        }
    }

    public void EmptyPollWait()
    {
        Interlocked.Increment(ref _emptyPollWaitsTotal);
        _emptyPollWaits.Add(1);
    }

    public void Park(string reason)
    {
        Interlocked.Increment(ref _parkedTotal);
        _parked.Add(1, new KeyValuePair<string, object?>("reason", reason));
    }

    /// <summary><paramref name="kind"/>: unauthorized, not_found, conflict, poll_failed, hand_off_transient, hand_off_refused.</summary>
    public void Error(string kind)
    {
        Interlocked.Increment(ref _errorsTotal);
        _errorsByKind.AddOrUpdate(kind, 1, (_, n) => n + 1);
        _errors.Add(1, new KeyValuePair<string, object?>("kind", kind));
    }

    public void IdJump(string direction)
    {
        Interlocked.Increment(ref _idJumpsTotal);
        _idJumps.Add(1, new KeyValuePair<string, object?>("direction", direction));
    }

    public void Dispose() => _meter.Dispose();
}
