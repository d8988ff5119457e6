using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types;

namespace MessengerAutoReply.Telegram;

/// <summary>
/// The one Telegram receiver of the cluster (fixed key): checks the token, then either registers the webhook or
/// runs the long-poll loop. Keepers on every silo call <see cref="EnsureAsync"/> so it comes back on another silo
/// after a crash (orleans-notes, 7).
/// </summary>
public interface ITelegramReceiverGrain : IGrainWithStringKey
{
    public const string Key = "telegram";

    Task EnsureAsync();

    /// <summary>
    /// How many runs of the receiver's timer have finished in this activation: a check that something did not
    /// happen "since" can wait for the next run instead of a fixed time.
    /// </summary>
    Task<long> GetCompletedTicksAsync();
}

[GenerateSerializer, Alias("MessengerAutoReply.Telegram.TelegramReceiverState")]
public sealed class TelegramReceiverState
{
    /// <summary>The next getUpdates offset: every update below it is durable in its chat grain.</summary>
    [Id(0)] public int Offset { get; set; }
}

public sealed partial class TelegramReceiverGrain(
    [PersistentState("telegram-receiver", Chats.StorageNames.Chats)] IPersistentState<TelegramReceiverState> state,
    TelegramOptions options,
    TelegramClients clients,
    TelegramIngress ingress,
    TelegramUpdatesClient updates,
    TelegramReceiverMetrics metrics,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    ILogger<TelegramReceiverGrain> logger) : Grain, ITelegramReceiverGrain, IDisposable
{
    private readonly CancellationTokenSource _stop = new();
    private CancellationTokenRegistration _stopping;
    private bool _running;
    private bool _tokenRejected;
    private bool _started;
    private long _completedTicks;
    // Per activation: a crash only costs an update its attempts so far.
    private readonly Dictionary<int, Refusal> _refusals = [];
    // Updates handed off by this activation: a refusal counts towards parking only when other updates went through
    // since the update's previous refusal (or in the same batch), so a fault that refuses everything (a bug, a bad
    // deploy) holds the offset instead of parking all, also when it begins or ends while a batch is in flight.
    private long _accepted;
    private bool _conflicting;
    private bool _notFound;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        // Deactivation waits for a running timer callback, so a pending long poll would hold a shutdown for the
        // whole poll timeout: the host's stopping signal ends it at once.
        _stopping = lifetime.ApplicationStopping.Register(() => _stop.Cancel());
        // Interleave: the loop awaits long polls while Ensure calls keep being answered. KeepAlive: an idle
        // activation must not be collected mid-poll.
        this.RegisterGrainTimer(RunAsync, new GrainTimerCreationOptions(TimeSpan.Zero, TimeSpan.FromSeconds(1)) { Interleave = true, KeepAlive = true });
        return Task.CompletedTask;
    }

    public Task EnsureAsync() => Task.CompletedTask;

    public Task<long> GetCompletedTicksAsync() => Task.FromResult(_completedTicks);

    public override Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        _stop.Cancel();
        _stopping.Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _stopping.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken timerToken)
    {
        try
        {
            await RunOnceAsync(timerToken);
        }
        finally
        {
            _completedTicks++;
        }
    }

    private async Task RunOnceAsync(CancellationToken timerToken)
    {
        if (_running || _tokenRejected || _stop.IsCancellationRequested)
        {
            return;
        }
        _running = true;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timerToken, _stop.Token);
        var cancellationToken = linked.Token;
        try
        {
            if (!_started)
            {
                _started = await StartAsync(cancellationToken);
                if (_started && options.WebhookMode)
                {
                    // Telegram calls us from now on; the activation only has to exist so the keepers see it.
                    return;
                }
            }
            if (!_started || options.WebhookMode)
            {
                return;
            }
            await PollLoopAsync(cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
        }
        finally
        {
            _running = false;
        }
    }

    /// <summary>getMe, then setWebhook or deleteWebhook; retried with backoff until it works (or the token is rejected).</summary>
    private async Task<bool> StartAsync(CancellationToken ct)
    {
        var failures = 0;
        while (true)
        {
            try
            {
                var client = clients.Get();
                var me = await OffTurn(() => client.GetMe(ct));
                if (options.WebhookMode)
                {
                    await OffTurn(() => client.SetWebhook(options.WebhookUrl!.ToString(), allowedUpdates: TelegramUpdateMapper.AllowedUpdates,
                        secretToken: options.WebhookSecret, cancellationToken: ct));
                    LogWebhookMode(me.Username, options.WebhookUrl!.GetLeftPart(UriPartial.Path));
                }
                else
                {
                    // getUpdates answers 409 while a webhook is set (from an earlier run in webhook mode).
                    await OffTurn(() => client.DeleteWebhook(cancellationToken: ct));
                    LogPollingMode(me.Username, options.PollTimeoutSeconds);
                }
                _notFound = false;
                return true;
            }
            catch (ApiRequestException ex) when (ex.ErrorCode == 401)
            {
                metrics.Error("unauthorized");
                _tokenRejected = true;
                LogTokenRejected("getMe", options.ApiUrl.Host);
                return false;
            }
            catch (RequestException ex) when (!ct.IsCancellationRequested && (ex is ApiRequestException { ErrorCode: 404 } || ex.HttpStatusCode == System.Net.HttpStatusCode.NotFound))
            {
                metrics.Error("not_found");
                if (!_notFound)
                {
                    _notFound = true;
                    LogNotFound(options.ApiUrl.Host, "getMe");
                }
                await Task.Delay(options.PollBackoffMax, time, ct);
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                failures++;
                LogStartFailed(failures, options.Redact(ex.Message));
                await Task.Delay(Backoff(failures), time, ct);
            }
        }
    }

    private async Task PollLoopAsync(CancellationToken ct)
    {
        var pollFailures = 0;
        var handOffFailures = 0;
        while (!ct.IsCancellationRequested)
        {
            IReadOnlyList<RawUpdate> batch;
            var startedAt = time.GetTimestamp();
            try
            {
                var offset = state.State.Offset;
                batch = await OffTurn(() => updates.GetUpdatesAsync(offset == 0 ? null : offset, ct));
            }
            catch (TelegramPollException ex) when (ex.StatusCode == 401)
            {
                metrics.Error("unauthorized");
                _tokenRejected = true;
                LogTokenRejected("getUpdates", options.ApiUrl.Host);
                return;
            }
            catch (TelegramPollException ex) when (ex.StatusCode == 404)
            {
                // Not the Bot API answering (the Bot API says 401 for a bad token): a wrong TELEGRAM_API_URL or a proxy's
                // route. One line, then slow retries, so a fixed route works again without a restart.
                metrics.Error("not_found");
                if (!_notFound)
                {
                    _notFound = true;
                    LogNotFound(options.ApiUrl.Host, "getUpdates");
                }
                await Task.Delay(options.PollBackoffMax, time, ct);
                continue;
            }
            catch (TelegramPollException ex) when (ex.StatusCode == 409)
            {
                // Another getUpdates (a second deployment, a partition) or a webhook set by someone else: back off,
                // never fight in a tight loop, and never delete another deployment's webhook. Logged once per episode.
                pollFailures++;
                metrics.Error("conflict");
                if (!_conflicting)
                {
                    _conflicting = true;
                    LogConflict(ex.Description);
                }
                await Task.Delay(Backoff(pollFailures), time, ct);
                continue;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                pollFailures++;
                metrics.Error("poll_failed");
                LogPollFailed(pollFailures, options.Redact(ex.Message));
                var wait = Backoff(pollFailures);
                await Task.Delay(ex is TelegramPollException { RetryAfter: { } after } && after > wait ? after : wait, time, ct);
                continue;
            }
            metrics.Poll(batch.Count);
            if (_conflicting || _notFound)
            {
                LogPollingAgain();
                _conflicting = _notFound = false;
            }
            pollFailures = 0;
            if (batch.Count == 0)
            {
                // A real long poll comes back empty only after its timeout; one that comes back at once (a server or
                // proxy that ignores timeout) would make this loop spin a core.
                var elapsed = time.GetElapsedTime(startedAt);
                if (elapsed < options.PollEmptyBackoff)
                {
                    metrics.EmptyPollWait();
                    await Task.Delay(options.PollEmptyBackoff - elapsed, time, ct);
                }
                continue;
            }

            try
            {
                var (next, transient, done) = await HandOffAsync(batch, ct);
                handOffFailures = done ? 0 : handOffFailures + 1;
                if (transient is not null)
                {
                    LogHandOffFailed(transient, next, handOffFailures);
                }
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                // Parking or persisting the offset failed (storage down): nothing moves, the same updates come again.
                handOffFailures++;
                metrics.Error("hand_off_transient");
                LogHandOffFailed(ex, batch[0].Id, handOffFailures);
            }
            if (handOffFailures > 0)
            {
                await Task.Delay(Backoff(handOffFailures), time, ct);
            }
        }
    }

    /// <summary>
    /// Parks what cannot be handed off, hands the rest to the chats, and persists the offset: past the batch, or at
    /// the first update whose chat did not take it. Done when every update of the batch is durable or parked.
    /// </summary>
    private async Task<(int Next, Exception? Transient, bool Done)> HandOffAsync(IReadOnlyList<RawUpdate> batch, CancellationToken ct)
    {
        NoteIdJump(batch);
        var park = new List<ParkedUpdate>();
        var readable = new List<Update>(batch.Count);
        foreach (var raw in batch)
        {
            if (raw.Update is null)
            {
                park.Add(Parked(raw, "unreadable", TelegramFailures.Describe(raw.ReadError!), 1));
            }
            else if (TelegramIngress.ReadError(raw.Update) is { } readError)
            {
                park.Add(Parked(raw, "unreadable", TelegramFailures.Describe(readError), 1));
            }
            else if (_refusals.TryGetValue(raw.Id, out var refused) && refused.Counted >= options.ParkAfterAttempts)
            {
                park.Add(Parked(raw, "refused", refused.Error, refused.Attempts));
            }
            else
            {
                if (refused is { Held: false } && refused.Attempts >= options.ParkAfterAttempts)
                {
                    _refusals[raw.Id] = refused with { Held = true };
                    LogRefusedEverything(raw.Id, refused.Attempts, refused.Attempts - refused.Counted);
                }
                readable.Add(raw.Update);
            }
        }
        if (park.Count > 0)
        {
            // Durable before the offset passes them: a crash in between parks them again (same update_id, replaced).
            await GrainFactory.GetGrain<ITelegramParkedUpdatesGrain>(ITelegramParkedUpdatesGrain.Key).ParkAsync(park);
            foreach (var parked in park)
            {
                metrics.Park(parked.Reason);
                _refusals.Remove(parked.UpdateId);
                LogParked(parked.UpdateId, parked.Reason, parked.Attempts, parked.Error);
            }
        }

        var acceptedBefore = _accepted;
        var (accepted, failures) = readable.Count == 0 ? (0, []) : await ingress.AcceptBatchAsync(readable);
        _accepted += accepted;
        var next = batch.Max(u => u.Id) + 1;
        Exception? transient = null;
        foreach (var (update, error) in failures)
        {
            if (TelegramFailures.IsTransient(error))
            {
                // Storage or cluster trouble: it will pass by itself, and parking would take good updates out of their chats.
                metrics.Error("hand_off_transient");
                transient ??= error;
                continue;
            }
            // Counted when something else was taken since this update's previous refusal (the batches run chats in
            // parallel, so an update accepted in the same batch counts): the fault then looks like the update's.
            var previous = _refusals.GetValueOrDefault(update.Id);
            var counts = _accepted > (previous?.AcceptedAt ?? acceptedBefore);
            var refusal = new Refusal((previous?.Attempts ?? 0) + 1, (previous?.Counted ?? 0) + (counts ? 1 : 0),
                TelegramFailures.Describe(error), _accepted, previous?.Held ?? false);
            _refusals[update.Id] = refusal;
            var attempts = refusal.Attempts;
            metrics.Error("hand_off_refused");
            LogRefused(error, update.Id, attempts, options.ParkAfterAttempts);
        }
        if (failures.Count > 0)
        {
            next = failures[0].Update.Id;
        }

        if (next != state.State.Offset)
        {
            // Persisted before the next getUpdates confirms it: a crash in between only redelivers updates the chat
            // grains already hold, and they dedup by chat + message_id. It may go down: after a jump back the old
            // offset is not one of the server's (see NoteIdJump).
            state.State.Offset = next;
            await state.WriteStateAsync(ct);
        }
        foreach (var done in _refusals.Keys.Where(id => id < next).ToList())
        {
            _refusals.Remove(done);
        }
        return (next, transient, failures.Count == 0);
    }

    /// <summary>
    /// The Bot API answers getUpdates from the oldest pending update when the offset is not one of its queue's
    /// (update ids restart at a random value after a week without updates; another Bot API server has other ids), so
    /// ids below the stored offset are new updates, never to be confirmed unseen. Ids above it mean updates in
    /// between were confirmed by another client of the bot (or expired). Either is logged once, when it is seen.
    /// </summary>
    private void NoteIdJump(IReadOnlyList<RawUpdate> batch)
    {
        var expected = state.State.Offset;
        var first = batch.Min(u => u.Id);
        if (expected == 0 || first == expected)
        {
            return;
        }
        if (first < expected)
        {
            metrics.IdJump("back");
            LogIdsWentBack(expected, first);
        }
        else
        {
            metrics.IdJump("forward");
            LogIdsSkipped(expected, first);
        }
    }

    /// <param name="Attempts">Every refusal of the update.</param>
    /// <param name="Counted">The refusals while other updates went through: parked when they reach the set attempts.</param>
    /// <param name="AcceptedAt">The activation's accepted count after the batch of the last refusal.</param>
    /// <param name="Held">The "refused, but nothing else went through" warning was logged.</param>
    private sealed record Refusal(int Attempts, int Counted, string Error, long AcceptedAt, bool Held);

    private ParkedUpdate Parked(RawUpdate raw, string reason, string error, int attempts) => new()
    {
        UpdateId = raw.Id,
        Json = raw.Json,
        Reason = reason,
        Error = options.Redact(error),
        Attempts = attempts,
        ParkedAt = time.GetUtcNow(),
    };

    private TimeSpan Backoff(int failures)
    {
        var factor = Math.Pow(2, Math.Clamp(failures - 1, 0, 16));
        var delay = TimeSpan.FromTicks((long)Math.Min(options.PollBackoff.Ticks * factor, options.PollBackoffMax.Ticks));
        return delay < options.PollBackoff ? options.PollBackoff : delay;
    }

    // The HTTP call runs on the thread pool, outside the grain's scheduler; only its result comes back in.
    private static Task<T> OffTurn<T>(Func<Task<T>> call) => Task.Run(call);

    private static Task OffTurn(Func<Task> call) => Task.Run(call);

    [LoggerMessage(Level = LogLevel.Information, Message = "Telegram: bot @{Username} receives updates by webhook at {Url}")]
    private partial void LogWebhookMode(string? username, string url);

    [LoggerMessage(Level = LogLevel.Information, Message = "Telegram: bot @{Username} receives updates by long polling (timeout {Timeout} s)")]
    private partial void LogPollingMode(string? username, int timeout);

    [LoggerMessage(Level = LogLevel.Error, Message = "Telegram: {Method} answered 401 Unauthorized from {Host}: TELEGRAM_TOKEN is wrong or revoked. Telegram stays off until it is fixed and the service restarted; everything else keeps running")]
    private partial void LogTokenRejected(string method, string host);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram: start-up call failed (attempt {Attempt}), retrying: {Error}")]
    private partial void LogStartFailed(int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram: getUpdates failed (attempt {Attempt}), retrying: {Error}")]
    private partial void LogPollFailed(int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram: getUpdates answered 409 ({Error}): another process polls with this token, or a webhook is set. Backing off; logged once until polling works again")]
    private partial void LogConflict(string error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Telegram: {Method} answered 404 Not Found from {Host}: that is not a Bot API server (check TELEGRAM_API_URL; the Bot API answers a wrong TELEGRAM_TOKEN with 401). Retrying slowly; logged once")]
    private partial void LogNotFound(string host, string method);

    [LoggerMessage(Level = LogLevel.Information, Message = "Telegram: getUpdates works again")]
    private partial void LogPollingAgain();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram: handing updates to chats failed (storage or cluster); update {UpdateId} and later come again (attempt {Attempt})")]
    private partial void LogHandOffFailed(Exception ex, int updateId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram: update {UpdateId} was refused by its chat (attempt {Attempt}; parked after {ParkAfter})")]
    private partial void LogRefused(Exception ex, int updateId, int attempt, int parkAfter);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram: update {UpdateId} was refused {Attempts} times, but no other update went through during {Uncounted} of them: not parked yet (the fault looks like the service's, not the update's); retrying")]
    private partial void LogRefusedEverything(int updateId, int attempts, int uncounted);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram: update {UpdateId} parked ({Reason} after {Attempts} attempt(s): {Error}); its raw JSON is kept with the parked updates and the poller goes on")]
    private partial void LogParked(int updateId, string reason, int attempts, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram: update_id went back from {Expected} to {First}: the Bot API did not know the stored offset (ids restart at random after a week without updates, or TELEGRAM_API_URL is another server); following the new ids, nothing is confirmed unseen")]
    private partial void LogIdsWentBack(int expected, int first);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram: update_id jumped from {Expected} to {First}: the updates in between were confirmed by another client of this bot, or expired")]
    private partial void LogIdsSkipped(int expected, int first);
}

/// <summary>One per silo: pokes the receiver grain so exactly one exists and it survives a silo loss.</summary>
public sealed partial class TelegramReceiverKeeper(IServiceProvider services, IGrainFactory grains, TimeProvider time, ILogger<TelegramReceiverKeeper> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (services.GetService<TelegramOptions>() is not { } options)
        {
            return;
        }
        using var timer = new PeriodicTimer(options.KeeperInterval, time);
        do
        {
            try
            {
                await grains.GetGrain<ITelegramReceiverGrain>(ITelegramReceiverGrain.Key).EnsureAsync().WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // Expected while a crashed silo is being declared dead; the next tick retries.
                LogEnsureFailed(ex.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Telegram receiver keeper: ensure failed ({Error}), retrying")]
    private partial void LogEnsureFailed(string error);
}
