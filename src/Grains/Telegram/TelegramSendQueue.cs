using MessengerAutoReply.Delivery;
using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Telegram;

/// <summary>
/// The one outbound queue of this process for Telegram: starts each send only when the bot-wide window
/// (about 30/s) and the chat's window (1/s private, 20/min group) allow it, so a burst draws no 429 in the
/// first place. Windows count a send from its start until its answer came back plus the window, so a request
/// that reached Telegram late (a slow connection, a busy thread pool) still cannot overrun the limit there.
/// One send per chat at a time, in arrival order. A 429 blocks only its chat for retry_after;
/// every other chat keeps flowing. In cluster mode each start also takes a slot reserved from the bot's one
/// <see cref="ITelegramPaceGrain"/>, so several silos together keep the bot-wide limit (decision 10); the per-chat
/// limit travels with the chat (its last send time is in its state).
/// </summary>
public sealed partial class TelegramSendQueue : IDisposable
{
    private readonly TelegramOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TelegramSendQueue> _logger;
    private readonly Lock _gate = new();
    private readonly LinkedList<Job> _pending = new();
    private readonly Dictionary<long, ChatPace> _chats = [];
    private readonly List<Slot> _global = [];
    private DateTimeOffset _lastStart = DateTimeOffset.MinValue;
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _wake = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _loop;
    private readonly Func<int, Task<DateTimeOffset[]>>? _reserve;
    private readonly Queue<DateTimeOffset> _clusterSlots = new();
    private bool _reserving;
    private bool _reserveFailing;

    public TelegramSendQueue(TelegramOptions options, TimeProvider time, ILogger<TelegramSendQueue> logger)
        : this(options, time, logger, null)
    {
    }

    /// <param name="reserve">Cluster mode: reserves bot-wide start times (<see cref="ITelegramPaceGrain"/>); null in one process.</param>
    public TelegramSendQueue(TelegramOptions options, TimeProvider time, ILogger<TelegramSendQueue> logger, Func<int, Task<DateTimeOffset[]>>? reserve)
    {
        _options = options;
        _time = time;
        _logger = logger;
        _reserve = reserve;
    }

    /// <summary>What one attempt produced: a final result, or Telegram's request to wait and try again.</summary>
    public readonly record struct Attempt(DeliveryResult? Result, TimeSpan? RetryAfter)
    {
        public static Attempt Done(DeliveryResult result) => new(result, null);

        public static Attempt Wait(TimeSpan retryAfter) => new(null, retryAfter);
    }

    public Task<DeliveryResult> SendAsync(long chatId, bool isGroup, Func<CancellationToken, Task<Attempt>> send, CancellationToken cancellationToken)
    {
        var job = new Job(chatId, isGroup, send, cancellationToken);
        job.Registration = cancellationToken.Register(() => job.Completion.TrySetCanceled(cancellationToken));
        lock (_gate)
        {
            _loop ??= Task.Run(LoopAsync, CancellationToken.None);
            _pending.AddLast(job);
            PulseLocked();
        }
        return job.Completion.Task;
    }

    public void Dispose()
    {
        _stop.Cancel();
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            Job? job = null;
            Slot? slot = null;
            TimeSpan wait;
            Task wake;
            lock (_gate)
            {
                var now = _time.GetUtcNow();
                var next = Pick(now, out job);
                if (job is not null)
                {
                    PaceOf(job.ChatId).InFlight = true;
                    slot = new Slot();
                    _global.Add(slot);
                    _lastStart = now;
                }
                wait = next == DateTimeOffset.MaxValue ? TimeSpan.FromMinutes(5) : next - now;
                wake = _wake.Task;
            }
            if (job is not null)
            {
                _ = Task.Run(() => RunAsync(job, slot!));
                continue;
            }
            try
            {
                await Task.WhenAny(wake, Task.Delay(wait > TimeSpan.Zero ? wait : TimeSpan.FromMilliseconds(1), _time, _stop.Token));
            }
            catch (ObjectDisposedException)
            {
                return;
            }
        }
    }

    /// <summary>The first job that may start now, or the earliest time one could. Called with the lock held.</summary>
    private DateTimeOffset Pick(DateTimeOffset now, out Job? picked)
    {
        picked = null;
        var margin = _options.PacingMargin;
        _global.RemoveAll(s => s.End + _options.GlobalWindow + margin <= now);
        // Evenly spaced rather than in bursts, so the bot-wide window never fills up all at once.
        var globalReady = _lastStart + (_options.GlobalWindow + margin) / _options.GlobalLimit;
        if (_global.Count >= _options.GlobalLimit)
        {
            // Full: the next slot frees up a window after the oldest finished send; with all in flight, a completion wakes us.
            var freed = _global.Where(s => s.End is not null).Select(s => s.End!.Value + _options.GlobalWindow + margin).DefaultIfEmpty(DateTimeOffset.MaxValue).Min();
            globalReady = Max(globalReady, freed);
        }
        var earliest = DateTimeOffset.MaxValue;
        for (var node = _pending.First; node is not null;)
        {
            var job = node.Value;
            var following = node.Next;
            if (job.Completion.Task.IsCompleted)
            {
                _pending.Remove(node);
                node = following;
                continue;
            }
            var pace = PaceOf(job.ChatId);
            if (!pace.InFlight)
            {
                var ready = Max(ChatReady(pace, job.IsGroup, now), globalReady);
                if (ready <= now)
                {
                    if (!TakeClusterSlot(now, out var slotAt))
                    {
                        // Every ready job waits for the same bot-wide slot.
                        return Min(earliest, slotAt);
                    }
                    _pending.Remove(node);
                    picked = job;
                    return now;
                }
                earliest = Min(earliest, ready);
            }
            node = following;
        }
        if (_chats.Count > 4096)
        {
            Prune(now);
        }
        return earliest;
    }

    /// <summary>A bot-wide slot that has come (cluster mode; always true in one process). Called with the lock held.</summary>
    private bool TakeClusterSlot(DateTimeOffset now, out DateTimeOffset nextAt)
    {
        nextAt = DateTimeOffset.MaxValue;
        if (_reserve is null)
        {
            return true;
        }
        // A slot not used soon after its time is gone: using it later could bunch sends up.
        while (_clusterSlots.Count > 0 && _clusterSlots.Peek() + _options.PacingMargin < now)
        {
            _clusterSlots.Dequeue();
        }
        if (_clusterSlots.Count > 0 && _clusterSlots.Peek() <= now)
        {
            _clusterSlots.Dequeue();
            return true;
        }
        if (_clusterSlots.Count > 0)
        {
            nextAt = _clusterSlots.Peek();
            return false;
        }
        if (!_reserving)
        {
            _reserving = true;
            var count = Math.Clamp(_pending.Count, 1, 16);
            _ = Task.Run(() => ReserveAsync(count));
        }
        return false;
    }

    private async Task ReserveAsync(int count)
    {
        DateTimeOffset[] slots;
        try
        {
            slots = await _reserve!(count);
            if (_reserveFailing)
            {
                _reserveFailing = false;
                LogPaceBack();
            }
        }
        catch (Exception ex)
        {
            // The budget's owner cannot be reached (a silo moving it, Redis down): go on at a tenth of the bot-wide
            // rate, which several silos together stay under, rather than stop sending.
            if (!_reserveFailing)
            {
                _reserveFailing = true;
                LogPaceUnavailable(ex.GetType().Name);
            }
            var now = _time.GetUtcNow();
            var spacing = (_options.GlobalWindow + _options.PacingMargin) / _options.GlobalLimit * 10;
            slots = [.. Enumerable.Range(0, count).Select(i => now + spacing * (i + 1))];
        }
        lock (_gate)
        {
            foreach (var slot in slots)
            {
                _clusterSlots.Enqueue(slot);
            }
            _reserving = false;
            PulseLocked();
        }
    }

    private DateTimeOffset ChatReady(ChatPace pace, bool isGroup, DateTimeOffset now)
    {
        var margin = _options.PacingMargin;
        var (limit, window) = isGroup ? (_options.GroupLimit, _options.GroupWindow) : (1, _options.PrivateChatInterval);
        while (pace.Sent.Count > 0 && pace.Sent.Peek() + window + margin <= now)
        {
            pace.Sent.Dequeue();
        }
        var ready = pace.Sent.Count < limit ? now : pace.Sent.ElementAt(pace.Sent.Count - limit) + window + margin;
        return Max(ready, pace.BlockedUntil);
    }

    private async Task RunAsync(Job job, Slot slot)
    {
        Attempt attempt;
        try
        {
            attempt = await job.Send(job.Cancellation);
        }
        catch (OperationCanceledException) when (job.Cancellation.IsCancellationRequested)
        {
            attempt = Attempt.Done(DeliveryResult.Transient("The send was cancelled."));
        }
        catch (Exception ex)
        {
            attempt = Attempt.Done(DeliveryResult.Transient(_options.Redact(ex.Message)));
        }
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            slot.End = now;
            var pace = PaceOf(job.ChatId);
            pace.InFlight = false;
            pace.Sent.Enqueue(now);
            if (attempt.RetryAfter is { } retryAfter)
            {
                pace.BlockedUntil = now + retryAfter;
                if (retryAfter <= _options.MaxRetryAfterWait && !job.Cancellation.IsCancellationRequested)
                {
                    // Back at the head: it stays before this chat's later messages; other chats are not held up.
                    _pending.AddFirst(job);
                    LogRetryAfter(job.ChatId, retryAfter.TotalSeconds);
                }
                else
                {
                    Complete(job, DeliveryResult.Transient($"Too Many Requests: Telegram asked to wait {retryAfter.TotalSeconds:0} s"));
                }
            }
            else
            {
                Complete(job, attempt.Result!);
            }
            PulseLocked();
        }
    }

    private static void Complete(Job job, DeliveryResult result)
    {
        job.Registration.Dispose();
        job.Completion.TrySetResult(result);
    }

    private ChatPace PaceOf(long chatId)
    {
        if (!_chats.TryGetValue(chatId, out var pace))
        {
            _chats[chatId] = pace = new ChatPace();
        }
        return pace;
    }

    private void Prune(DateTimeOffset now)
    {
        var horizon = now - _options.GroupWindow - _options.PrivateChatInterval - _options.PacingMargin;
        var busy = _pending.Select(j => j.ChatId).ToHashSet();
        foreach (var (id, pace) in _chats.ToList())
        {
            if (!pace.InFlight && !busy.Contains(id) && pace.BlockedUntil < now && (pace.Sent.Count == 0 || pace.Sent.Last() < horizon))
            {
                _chats.Remove(id);
            }
        }
    }

    private void PulseLocked()
    {
        var old = _wake;
        _wake = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        old.TrySetResult();
    }

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private sealed class Job(long chatId, bool isGroup, Func<CancellationToken, Task<Attempt>> send, CancellationToken cancellation)
    {
        public long ChatId { get; } = chatId;
        public bool IsGroup { get; } = isGroup;
        public Func<CancellationToken, Task<Attempt>> Send { get; } = send;
        public CancellationToken Cancellation { get; } = cancellation;
        public TaskCompletionSource<DeliveryResult> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
        public CancellationTokenRegistration Registration { get; set; }
    }

    private sealed class Slot
    {
        public DateTimeOffset? End { get; set; }
    }

    private sealed class ChatPace
    {
        public bool InFlight { get; set; }
        public DateTimeOffset BlockedUntil { get; set; } = DateTimeOffset.MinValue;
        public Queue<DateTimeOffset> Sent { get; } = new();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram: the bot-wide send budget cannot be reached ({Error}); sending at a tenth of TELEGRAM_RATE_PER_SECOND meanwhile")]
    private partial void LogPaceUnavailable(string error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Telegram: the bot-wide send budget answers again")]
    private partial void LogPaceBack();

    [LoggerMessage(Level = LogLevel.Information, Message = "Telegram: 429 for chat {ChatId}, that chat waits {Seconds:0.#} s; others keep flowing")]
    private partial void LogRetryAfter(long chatId, double seconds);
}
