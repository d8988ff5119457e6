using MessengerAutoReply.Archive;
using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Chats;

/// <summary>
/// Writes a chat's archive outbox (chats and messages, in order) to the archive outside the grain's turn, and
/// reads what the archive knows of a chat the grain has never seen.
/// </summary>
public sealed partial class ArchiveWorker(
    IChatArchive archive,
    ArchiveBacklog backlog,
    ChatWorkRunner runner,
    ILogger<ArchiveWorker> logger)
{
    /// <summary>Writes at most this many ops per batch (one transaction where the archive batches).</summary>
    public const int BatchSize = 64;

    /// <summary>Tells the backlog health check and metrics how far behind this chat's archive is.</summary>
    public void ReportBacklog(string chatId, int count, bool failing) => backlog.Report(chatId, count, failing);

    internal bool Start(IChatWorkReports grain, string chatId, ArchiveOp[] batch) =>
        runner.TryStart(chatId, async () =>
        {
            var (done, error) = await WriteAsync(chatId, batch);
            await runner.ReportAsync(chatId, () => grain.ArchiveCompletedAsync(done, error));
        });

    /// <summary>
    /// The archive's record of a chat this grain has never stored (an operator's existing PocketBase, the original
    /// service's records), so it keeps its autoMode, openAIThreadId and name. Null when unknown or unreachable.
    /// </summary>
    public async Task<Chat?> FindChatAsync(string chatId)
    {
        try
        {
            return await archive.GetChatAsync(chatId, CancellationToken.None);
        }
        catch (Exception ex)
        {
            // The archive may be down; the chat starts from the defaults and the archive write will merge.
            LogAdoptionFailed(ex, chatId);
            return null;
        }
    }

    private async Task<(long Done, string? Error)> WriteAsync(string chatId, ArchiveOp[] batch)
    {
        long done = 0;
        try
        {
            if (archive is IBatchingChatArchive batching)
            {
                // One transaction for the whole batch: one commit instead of one per record.
                await batching.UpsertBatchAsync([.. batch.Select(op => (op.Chat, op.Message))], CancellationToken.None);
                return (batch[^1].Sequence, null);
            }
            foreach (var op in batch)
            {
                try
                {
                    if (op.Chat is not null)
                    {
                        await archive.UpsertChatAsync(op.Chat, CancellationToken.None);
                    }
                    if (op.Message is not null)
                    {
                        await archive.UpsertMessageAsync(op.Message, CancellationToken.None);
                    }
                }
                catch (ArchiveRejectedException ex)
                {
                    // Set aside, loudly: holding it would stop every later write of this chat for good. The
                    // record itself is not lost: it is in grain state and went out on the stream.
                    backlog.Rejected();
                    LogArchiveRejected(chatId, op.Sequence, ex.Message);
                }
                done = op.Sequence;
            }
            return (done, null);
        }
        catch (Exception ex)
        {
            return (done, ex.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The archive refuses write {Sequence} of chat {ChatId}; it is set aside: {Reason}")]
    private partial void LogArchiveRejected(string chatId, long sequence, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chat {ChatId} could not be looked up in the archive; it starts from the defaults")]
    private partial void LogAdoptionFailed(Exception ex, string chatId);
}
