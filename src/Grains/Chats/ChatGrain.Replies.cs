using MessengerAutoReply.Ai;
using MessengerAutoReply.Archive;
using MessengerAutoReply.Media;
using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Chats;

/// <summary>
/// Auto-reply: at most one AI run per chat, started after a quiet period, answering every customer message
/// that arrived since the last answer. The run itself (OpenAI and the typing indicator) runs outside the
/// grain's turn; its record in state makes it resumable, and its reply's delivery key (ai:{runId}) makes it
/// delivered once.
/// </summary>
public sealed partial class ChatGrain
{
    private WorkLease _run;
    private DateTimeOffset _runDueAt;

    private bool RepliesEnabled => _engine is not null && S.Chat is { AutoMode: true } chat && (!chat.IsGroup || ai.ReplyInGroups);

    private bool HasPendingReplies() =>
        S.Run is not null || (RepliesEnabled && S.AwaitingAnswer.Count > 0) || (ai.AutoModeResumeAfter is not null && S.TakenOverAt is not null);

    public async Task RunCompletedAsync(string runId, ReplyOutcome outcome)
    {
        if (S.Run is not { } run || run.RunId != runId)
        {
            return;
        }
        _run = default;
        S.Run = null;
        var now = time.GetUtcNow();
        var chat = S.Chat! with { AiRunning = false };
        if (outcome.ConversationId is not null)
        {
            chat = chat with { OpenAIThreadId = outcome.ConversationId };
        }
        var events = new List<ChatEvent>();
        if (outcome.Succeeded)
        {
            S.Chat = chat;
            // An operator who wrote during the run owns the chat now: keep the AI's answer for the record only.
            var deliver = chat.AutoMode;
            var replies = AddOutgoing(chat, outcome.Text!, $"ai:{runId}", ResponseModes.Ai, null, now, deliver);
            chat = S.Chat! with { Unanswered = false, Error = deliver ? null : S.Chat.Error };
            S.Unanswered.Clear();
            events.AddRange(replies.Select(ChatEvent.For));
        }
        else
        {
            LogRunFailed(runId, ChatId, outcome.Error);
            foreach (var id in run.MessageIds)
            {
                if (S.Recent.Find(m => m.Id == id) is { } message)
                {
                    var marked = message with { Status = MessageStatus.Unanswered, Error = outcome.Error };
                    Remember(marked);
                    EnqueueArchive(message: marked);
                    events.Add(ChatEvent.For(marked));
                }
                if (!S.Unanswered.Contains(id))
                {
                    S.Unanswered.Add(id);
                }
            }
            chat = chat with { Unanswered = true, Error = outcome.Error };
        }
        S.Chat = chat;
        EnqueueArchive(chat: chat);
        events.Add(ChatEvent.For(chat));
        await CommitAsync(events);
    }

    private void OnCustomerMessage(ChatMessage message, DateTimeOffset now)
    {
        if (!RepliesEnabled)
        {
            return;
        }
        if (S.AwaitingAnswer.Count == 0 && S.Unanswered.Count > 0)
        {
            // The last run failed: this message tries again, for those messages too (no stuck chat, no retry storm).
            S.AwaitingAnswer.AddRange(S.Unanswered);
            S.Unanswered.Clear();
        }
        S.AwaitingAnswer.Add(message.Id);
        _runDueAt = now + ai.Debounce;
    }

    private Chat TakeOver(Chat chat, DateTimeOffset now)
    {
        S.TakenOverAt = now;
        S.AwaitingAnswer.Clear();
        return chat with { AutoMode = false };
    }

    private Chat SwitchAutoMode(bool autoMode, DateTimeOffset now)
    {
        var chat = S.Chat! with { AutoMode = autoMode, Updated = now };
        S.Chat = chat;
        S.AwaitingAnswer.Clear();
        if (autoMode && RepliesEnabled)
        {
            // Handed back to the AI: a customer still waiting (the last word is theirs) gets an answer (decision 9).
            var trailing = S.Recent.AsEnumerable().Reverse().TakeWhile(m => m.IsIncoming).Reverse().Select(m => m.Id);
            S.AwaitingAnswer.AddRange(trailing);
            _runDueAt = now;
        }
        return chat;
    }

    private async Task KickRepliesAsync(DateTimeOffset now)
    {
        if (S.Chat is null)
        {
            return;
        }
        if (ai.AutoModeResumeAfter is { } resumeAfter && S.TakenOverAt is { } takenOver && !S.Chat.AutoMode)
        {
            var due = takenOver + resumeAfter;
            if (now >= due)
            {
                S.TakenOverAt = null;
                var chat = SwitchAutoMode(true, now);
                LogHandedBack(ChatId);
                EnqueueArchive(chat: chat);
                await PersistAsync([ChatEvent.For(chat)]);
            }
            else
            {
                ScheduleRetry(due - now);
            }
        }
        if (_engine is null)
        {
            return;
        }
        if (_run.Holds(now))
        {
            ScheduleRetry(_run.Until - now);
            return;
        }
        if (S.Run is { } interrupted)
        {
            // Recorded but not running here: the activation that started it is gone. Resume it, reading
            // OpenAI's conversation first so a completed answer is used, not asked for twice.
            StartRun(interrupted, resume: true);
            return;
        }
        if (!RepliesEnabled || S.AwaitingAnswer.Count == 0)
        {
            return;
        }
        if (now < _runDueAt)
        {
            ScheduleRetry(_runDueAt - now);
            return;
        }
        if (S.MediaQueue.Exists(j => S.AwaitingAnswer.Contains(j.MessageId)))
        {
            // Voice and images are understood before the run that answers them; the media callback kicks again.
            return;
        }

        var messages = S.AwaitingAnswer.Select(id => S.Recent.Find(m => m.Id == id)).OfType<ChatMessage>().ToList();
        var run = new AiRun(Guid.NewGuid().ToString("N"), [.. S.AwaitingAnswer], [.. messages.Select(InputText)], now);
        S.AwaitingAnswer.Clear();
        S.Run = run;
        var chat2 = S.Chat with { AiRunning = true };
        S.Chat = chat2;
        EnqueueArchive(chat: chat2);
        await PersistAsync([ChatEvent.For(chat2)]);
        StartRun(run, resume: false);
    }

    private void StartRun(AiRun run, bool resume)
    {
        // Past the lease the run counts as lost and is resumed (the conversation is read first: decision 7).
        _run = WorkLease.Start(run.RunId, time.GetUtcNow() + _options.RunLease);
        var chat = S.Chat!;
        var self = this.AsReference<IChatGrain>();
        var history = S.Recent.Where(m => !run.MessageIds.Contains(m.Id) && m.Content is not null && m.Status != MessageStatus.Discarded && m.Timestamp <= run.StartedAt)
            .Select(m => new HistoryItem(m.IsIncoming, InputText(m))).ToList();
        _ = Task.Run(() => ExecuteRunAsync(chat, run, history, resume, self));
    }

    private async Task ExecuteRunAsync(Chat chat, AiRun run, List<HistoryItem> history, bool resume, IChatGrain self)
    {
        ReplyOutcome outcome;
        using var typing = new CancellationTokenSource();
        var typingLoop = ShowTypingAsync(chat, typing.Token);
        try
        {
            if (history.Count < ai.HistoryMessages && (ai.Style == ApiStyle.Chat || chat.OpenAIThreadId is null || !chat.OpenAIThreadId.StartsWith("conv_", StringComparison.Ordinal)))
            {
                history = await LoadHistoryAsync(chat, run, history);
            }
            outcome = await _engine!.AnswerAsync(new ReplyRequest
            {
                ChatId = chat.Id,
                RunId = run.RunId,
                ConversationId = chat.OpenAIThreadId,
                Inputs = run.Inputs,
                History = history,
                Resume = resume,
            }, CancellationToken.None);
        }
        catch (Exception ex)
        {
            outcome = ReplyOutcome.Failure(ex.Message, chat.OpenAIThreadId);
        }
        await typing.CancelAsync();
        await typingLoop;
        await ReportAsync(() => self.RunCompletedAsync(run.RunId, outcome));
    }

    /// <summary>Chats older than the grain's memory (or migrated ones) get their context from the archive.</summary>
    private async Task<List<HistoryItem>> LoadHistoryAsync(Chat chat, AiRun run, List<HistoryItem> fallback)
    {
        try
        {
            var page = await archive.ListMessagesAsync(chat.Id, new MessageQuery(1, Math.Max(1, ai.HistoryMessages + run.MessageIds.Count), NewestFirst: true), CancellationToken.None);
            var items = page.Items.Where(m => !run.MessageIds.Contains(m.Id) && m.Content is not null && m.Status != MessageStatus.Discarded)
                .Reverse().Select(m => new HistoryItem(m.IsIncoming, InputText(m))).ToList();
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

    /// <summary>Transcribes voice and describes images (for operators too, whatever autoMode says: decision 8).</summary>
    private async Task<string?> UnderstandAsync(ChatMessage? message, MediaRef media, MediaContent content, CancellationToken cancellationToken)
    {
        if (_engine is null || message is null)
        {
            return null;
        }
        switch (message.Type)
        {
            case MessageTypes.Voice or MessageTypes.Audio:
                if (media.DurationSeconds is { } seconds && TimeSpan.FromSeconds(seconds) > ai.MaxVoice)
                {
                    return message.Content;
                }
                var transcript = await _engine.TranscribeAsync(content, cancellationToken);
                return transcript is null ? message.Content : string.IsNullOrWhiteSpace(message.Content) ? transcript : $"{message.Content}\n\n{transcript}";
            case MessageTypes.Image:
                var description = await _engine.DescribeAsync(content, message.Content, cancellationToken);
                return description is null ? message.Content
                    : string.IsNullOrWhiteSpace(message.Content) ? $"[Image: {description}]" : $"{message.Content}\n\n[Image: {description}]";
            default:
                return null;
        }
    }

    /// <summary>What the assistant reads for one stored message.</summary>
    private static string InputText(ChatMessage message) => message.Type switch
    {
        MessageTypes.Text => message.Content ?? "",
        MessageTypes.Voice or MessageTypes.Audio => message.Content ?? "[a voice message that could not be transcribed]",
        MessageTypes.Image => message.Content ?? "[an image]",
        MessageTypes.Document => $"[Document: {message.FileName ?? "file"}]" + (string.IsNullOrWhiteSpace(message.Content) ? "" : $" {message.Content}"),
        _ => $"[{message.Type}] {message.Content}".TrimEnd(),
    };

    private async Task PublishAsync(IReadOnlyList<ChatEvent> events)
    {
        foreach (var e in events)
        {
            try
            {
                await _stream!.OnNextAsync(e);
            }
            catch (Exception ex)
            {
                LogPublishFailed(ex, ChatId);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "AI run {RunId} of chat {ChatId} failed; its messages are marked unanswered: {Error}")]
    private partial void LogRunFailed(string runId, string chatId, string? error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Chat {ChatId} handed back to the AI (AUTO_MODE_RESUME_AFTER)")]
    private partial void LogHandedBack(string chatId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "History of chat {ChatId} could not be read from the archive; the run uses what the chat remembers")]
    private partial void LogHistoryUnavailable(Exception ex, string chatId);
}
