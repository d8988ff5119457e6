using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MessengerAutoReply.Chats;

/// <summary>
/// Runs chat workers outside the grains' turns and knows how many are in flight. When the silo stops
/// gracefully, it refuses new work (it stays pending in grain state, and the chat's next activation starts it)
/// and waits, up to WORK_DRAIN_TIMEOUT, for running work to report back while grains can still be called:
/// at the silo's Active stage, before Orleans deactivates grains and stops sending messages. Without this a
/// send that finished during shutdown could not report, and would be sent again once its lease ran out.
/// </summary>
public sealed partial class ChatWorkRunner(IOptions<ChatOptions> options, ILogger<ChatWorkRunner> logger)
    : ILifecycleParticipant<ISiloLifecycle>
{
    private readonly Lock _gate = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private const int MaxReportAttempts = 10;
    private int _running;
    private bool _stopping;

    /// <summary>Work running now (for tests and the drain log).</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Starts <paramref name="work"/> on the thread pool, or returns false while the silo stops.</summary>
    public bool TryStart(string chatId, Func<Task> work)
    {
        lock (_gate)
        {
            if (_stopping)
            {
                return false;
            }
            _running++;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                await work();
            }
            catch (Exception ex)
            {
                // Workers catch their own failures and report them; this is a bug, and the lease restarts the work.
                LogWorkCrashed(ex, chatId);
            }
            finally
            {
                lock (_gate)
                {
                    if (--_running == 0 && _stopping)
                    {
                        _drained.TrySetResult();
                    }
                }
            }
        });
        return true;
    }

    /// <summary>
    /// Sends a worker's report to its grain, again with backoff for about half a minute if the call fails (reports are
    /// idempotent). If every try fails, the work's lease runs out in the grain and the work starts again.
    /// </summary>
    public async Task ReportAsync(string chatId, Func<Task> report)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                await report();
                return;
            }
            catch (Exception ex) when (attempt < MaxReportAttempts)
            {
                // Long enough to outlast a storage outage of some seconds (the grain's write of the report fails
                // meanwhile): a report given up leaves the work to its lease, which for an AI run is AI_RUN_LEASE.
                LogReportRetry(ex.GetType().Name, chatId, attempt);
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(200 * Math.Pow(2, attempt - 1), 5_000)), CancellationToken.None);
            }
            catch (Exception ex)
            {
                LogReportFailed(ex, chatId);
                return;
            }
        }
    }

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(ChatWorkRunner), ServiceLifecycleStage.Active, _ => Task.CompletedTask, DrainAsync);

    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        int running;
        lock (_gate)
        {
            _stopping = true;
            running = _running;
            if (running == 0)
            {
                return;
            }
        }
        LogDraining(running);
        try
        {
            await _drained.Task.WaitAsync(options.Value.WorkDrainTimeout, cancellationToken);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            LogDrainTimedOut(Running);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A worker of chat {ChatId} failed outside its own error handling; its lease will restart the work")]
    private partial void LogWorkCrashed(Exception ex, string chatId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reporting background work of chat {ChatId} back to its grain failed ({Error}, attempt {Attempt}); trying again")]
    private partial void LogReportRetry(string error, string chatId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reporting background work of chat {ChatId} back to its grain failed; its lease will run out and the work start again")]
    private partial void LogReportFailed(Exception ex, string chatId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Stopping: waiting for {Count} chat workers to report back")]
    private partial void LogDraining(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stopping: {Count} chat workers did not report back within WORK_DRAIN_TIMEOUT; their leases will restart them")]
    private partial void LogDrainTimedOut(int count);
}
