using MessengerAutoReply.Ai;
using MessengerAutoReply.Archive;
using MessengerAutoReply.Delivery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Chats;

/// <summary>
/// Runs one AI run outside the grain's turn: the typing indicator while it lasts, the history from the archive
/// when the chat's memory is short, the model call (or, resumed, the read of a conversation that may hold the
/// answer already: decision 7), then the report.
/// </summary>
public sealed partial class ReplyWorker(
    IEnumerable<IReplyEngine> engines,
    GatewayRegistry gateways,
    IChatArchive archive,
    AiOptions ai,
    ChatWorkRunner runner,
    [FromKeyedServices(ChatClock.Key)] TimeProvider time,
    ILogger<ReplyWorker> logger)
{
    private readonly IReplyEngine? _engine = engines.FirstOrDefault();

    /// <summary>False when OpenAI is not configured: the service is an inbox, nothing is answered automatically.</summary>
    public bool Enabled => _engine is not null;

    internal bool Start(IChatWorkReports grain, Chat chat, AiRun run, List<HistoryItem> history, bool resume) =>
        _engine is not null && runner.TryStart(chat.Id, async () =>
        {
            var outcome = await RunAsync(grain, _engine, chat, run, history, resume);
            await runner.ReportAsync(chat.Id, () => grain.RunCompletedAsync(run.RunId, outcome));
        });

    private async Task<ReplyOutcome> RunAsync(IChatWorkReports grain, IReplyEngine engine, Chat chat, AiRun run, List<HistoryItem> history, bool resume)
    {
        using var typing = new CancellationTokenSource();
        var typingLoop = ShowTypingAsync(chat, typing.Token);
        try
        {
            if (history.Count < ai.HistoryMessages && (ai.Style == ApiStyle.Chat || chat.OpenAIThreadId is null || !chat.OpenAIThreadId.StartsWith("conv_", StringComparison.Ordinal)))
            {
                history = await LoadHistoryAsync(chat, run, history);
            }
            return await engine.AnswerAsync(new ReplyRequest
            {
                ChatId = chat.Id,
                RunId = run.RunId,
                ConversationId = chat.OpenAIThreadId,
                Inputs = run.Inputs,
                History = history,
                Resume = resume,
                ConversationStarted = id => runner.ReportAsync(chat.Id, () => grain.ConversationStartedAsync(run.RunId, id)),
            }, CancellationToken.None);
        }
        catch (Exception ex)
        {
            return ReplyOutcome.Failure(ex.Message, chat.OpenAIThreadId);
        }
        finally
        {
            await typing.CancelAsync();
            await typingLoop;
        }
    }

    /// <summary>Chats older than the grain's memory (or migrated ones) get their context from the archive.</summary>
    private async Task<List<HistoryItem>> LoadHistoryAsync(Chat chat, AiRun run, List<HistoryItem> fallback)
    {
        try
        {
            var page = await archive.ListMessagesAsync(chat.Id, new MessageQuery(1, Math.Max(1, ai.HistoryMessages + run.MessageIds.Count), NewestFirst: true), CancellationToken.None);
            var items = page.Items.Where(m => ReplyInput.IsContext(m, run))
                .Reverse().Select(m => new HistoryItem(m.IsIncoming, ReplyInput.Text(m))).ToList();
            return items.Count > fallback.Count ? items : fallback;
        }
        catch (Exception ex)
        {
            LogHistoryUnavailable(ex, chat.Id);
            return fallback;
        }
    }

    private async Task ShowTypingAsync(Chat chat, CancellationToken cancellationToken)
    {
        if (gateways.Find(chat.Platform) is not { } gateway)
        {
            return;
        }
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await gateway.SendTypingAsync(chat, cancellationToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    // Typing is a courtesy: never let it fail a run.
                }
                await Task.Delay(ai.TypingInterval, time, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "History of chat {ChatId} could not be read from the archive; the run uses what the chat remembers")]
    private partial void LogHistoryUnavailable(Exception ex, string chatId);
}
