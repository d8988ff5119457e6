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
                return true;
            }
            catch (ApiRequestException ex) when (ex.ErrorCode == 401)
            {
                _tokenRejected = true;
                LogTokenRejected(options.ApiUrl.Host);
                return false;
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
        var failures = 0;
        while (!ct.IsCancellationRequested)
        {
            Update[] updates;
            try
            {
                var client = clients.Get();
                var offset = state.State.Offset;
                updates = await OffTurn(() => client.GetUpdates(offset == 0 ? null : offset, options.PollLimit, options.PollTimeoutSeconds,
                    TelegramUpdateMapper.AllowedUpdates, ct));
                failures = 0;
            }
            catch (ApiRequestException ex) when (ex.ErrorCode == 401)
            {
                _tokenRejected = true;
                LogTokenRejected(options.ApiUrl.Host);
                return;
            }
            catch (ApiRequestException ex) when (ex.ErrorCode == 409)
            {
                // Another poller (a partition, a second deployment) or a webhook: back off, never fight in a tight loop.
                failures++;
                LogConflict(ex.Message);
                await Task.Delay(Backoff(failures), time, ct);
                continue;
            }
            catch (Exception ex) when (!ct.IsCancellationRequested)
            {
                failures++;
                LogPollFailed(failures, options.Redact(ex.Message));
                await Task.Delay(Backoff(failures), time, ct);
                continue;
            }
            if (updates.Length == 0)
            {
                continue;
            }

            var (next, failure) = await ingress.AcceptBatchAsync(updates);
            if (next > state.State.Offset)
            {
                // Persisted before the next getUpdates confirms it: a crash in between only redelivers updates the
                // chat grains already hold, and they dedup by chat + message_id.
                state.State.Offset = next;
                await state.WriteStateAsync(ct);
            }
            if (failure is not null)
            {
                failures++;
                LogHandOffFailed(failure, next, failures);
                await Task.Delay(Backoff(failures), time, ct);
            }
        }
    }

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

    [LoggerMessage(Level = LogLevel.Error, Message = "Telegram: getMe answered 401 Unauthorized from {Host}: TELEGRAM_TOKEN is wrong or revoked. Telegram stays off until it is fixed and the service restarted; everything else keeps running")]
    private partial void LogTokenRejected(string host);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram: start-up call failed (attempt {Attempt}), retrying: {Error}")]
    private partial void LogStartFailed(int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram: getUpdates failed (attempt {Attempt}), retrying: {Error}")]
    private partial void LogPollFailed(int attempt, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram: getUpdates conflict, backing off: {Error}")]
    private partial void LogConflict(string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram: handing updates to chats failed; update {UpdateId} and later come again (attempt {Attempt})")]
    private partial void LogHandOffFailed(Exception ex, int updateId, int attempt);
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
