namespace MessengerAutoReply.Chats;

/// <summary>
/// A durable list of chats with unfinished work. Nothing wakes a grain by itself after a restart or a silo
/// loss, so a sweeper reads this list and wakes each chat (decision 5).
/// </summary>
public interface IPendingWorkRegistry
{
    Task SetAsync(string chatId, bool pending);

    Task<IReadOnlyList<string>> ListAsync(CancellationToken cancellationToken);
}

public sealed class PendingWorkOptions
{
    /// <summary>How often every silo wakes the chats with pending work (PENDING_SWEEP_INTERVAL).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>Runs on every silo: wakes chats with pending work at start and then periodically.</summary>
public sealed partial class PendingWorkSweeper(
    IPendingWorkRegistry registry,
    IGrainFactory grains,
    Microsoft.Extensions.Options.IOptions<PendingWorkOptions> options,
    TimeProvider time,
    Microsoft.Extensions.Logging.ILogger<PendingWorkSweeper> logger) : Microsoft.Extensions.Hosting.BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.SweepInterval, time);
        do
        {
            try
            {
                var chats = await registry.ListAsync(stoppingToken);
                if (chats.Count > 0)
                {
                    LogSweeping(chats.Count);
                }
                await Parallel.ForEachAsync(chats, new ParallelOptions { MaxDegreeOfParallelism = 16, CancellationToken = stoppingToken },
                    async (chatId, _) => await grains.GetGrain<IChatGrain>(chatId).WakeAsync());
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogSweepFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Information, Message = "Waking {Count} chats with pending work")]
    private partial void LogSweeping(int count);

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Pending-work sweep failed; next tick retries")]
    private partial void LogSweepFailed(Exception ex);
}
