using MessengerAutoReply.Archive;
using MessengerAutoReply.Delivery;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Streams;

namespace MessengerAutoReply.Chats;

/// <summary>
/// Owns one chat. Every change is first made durable in grain state, then published on the chat stream; slow
/// I/O (platform sends, archive writes) runs outside the grain's turn and reports back through grain calls,
/// so a webhook never waits for it and the grain keeps accepting messages meanwhile.
/// </summary>
public sealed partial class ChatGrain(
    [PersistentState("chat", StorageNames.Chats)] IPersistentState<ChatState> state,
    IChatArchive archive,
    GatewayRegistry gateways,
    Media.IMediaStore mediaStore,
    IEnumerable<Media.IMediaFetcher> mediaFetchers,
    IPendingWorkRegistry pendingWork,
    IEnumerable<Ai.IReplyEngine> replyEngines,
    Ai.AiOptions ai,
    ArchiveBacklog archiveBacklog,
    IOptions<ChatOptions> options,
    [FromKeyedServices(ChatClock.Key)] TimeProvider time,
    ILogger<ChatGrain> logger) : Grain, IChatGrain
{
    private readonly ChatOptions _options = options.Value;
    private readonly Ai.IReplyEngine? _engine = replyEngines.FirstOrDefault();
    private IAsyncStream<ChatEvent>? _stream;
    private bool _deliveryRunning;
    private bool _archiveRunning;
    private bool _mediaRunning;
    private bool _adoptionChecked;
    private bool _registeredPending;
    private IGrainTimer? _retryTimer;
    private DateTimeOffset _retryDue = DateTimeOffset.MaxValue;
    private int _archiveFailures;
    private DateTimeOffset _archiveNotBefore;

    private ChatState S => state.State;

    private string ChatId => this.GetPrimaryKeyString();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _stream = this.GetStreamProvider(ChatStreams.Provider).GetStream<ChatEvent>(ChatStreams.All);
        _registeredPending = HasPendingWork();
        archiveBacklog.Report(ChatId, S.ArchiveOutbox.Count, false);
        return Task.CompletedTask;
    }

    public ValueTask<Chat?> GetAsync() => ValueTask.FromResult(S.Chat);

    public ValueTask<IReadOnlyList<ChatMessage>> GetUnarchivedAsync() =>
        ValueTask.FromResult<IReadOnlyList<ChatMessage>>([.. S.ArchiveOutbox
            .Where(op => op.Message is not null)
            .Select(op => op.Message!)
            .GroupBy(m => m.Id)
            .Select(g => g.Last())]);

    public async Task<ReceiveResult> ReceiveAsync(InboundMessage message)
    {
        var now = time.GetUtcNow();
        var id = ChatIds.ForIncoming(ChatId, message.PlatformMessageId);
        var events = new List<ChatEvent>(2);

        if (S.SeenMessageIds.Contains(id))
        {
            if (!message.IsEdit)
            {
                return new ReceiveResult(ReceiveOutcome.Duplicate, S.Recent.Find(m => m.Id == id));
            }
            var existing = S.Recent.Find(m => m.Id == id);
            if (existing is null || existing.Content == message.Content)
            {
                return new ReceiveResult(ReceiveOutcome.Duplicate, existing);
            }
            var edited = existing with { Content = message.Content };
            Remember(edited);
            EnqueueArchive(message: edited);
            events.Add(ChatEvent.For(edited));
            await CommitAsync(events);
            return new ReceiveResult(ReceiveOutcome.Updated, edited);
        }

        if (message.FromAgent && (message.IsOwnEcho || S.Recent.Exists(m => !m.IsIncoming && m.PlatformMessageId == message.PlatformMessageId)))
        {
            // Our own reply coming back from the platform: it is stored already, as the message we sent.
            return new ReceiveResult(ReceiveOutcome.Duplicate, S.Recent.Find(m => !m.IsIncoming && m.PlatformMessageId == message.PlatformMessageId));
        }

        await AdoptArchivedChatAsync();
        var chat = EnsureChat(message.Chat, now);
        var stored = new ChatMessage
        {
            Id = id,
            PlatformMessageId = message.PlatformMessageId,
            Source = chat.Source,
            Platform = chat.Platform,
            ChatId = chat.Id,
            Type = message.Type,
            Content = message.Content,
            MediaFileId = message.MediaFileId,
            FileName = message.FileName,
            MimeType = message.MimeType,
            IsIncoming = !message.FromAgent,
            Timestamp = message.Timestamp == default ? now : message.Timestamp,
            SenderId = message.SenderId,
            SenderName = message.SenderName,
            ResponseMode = message.FromAgent ? (message.Automated ? ResponseModes.Api : ResponseModes.Operator) : null,
            Status = message.FromAgent ? MessageStatus.Sent : MessageStatus.Received,
        };
        Remember(stored);
        if (message.Media is not null)
        {
            S.MediaQueue.Add(new MediaJob(stored.Id, message.Media, 0, now));
        }

        chat = chat with
        {
            Name = message.Chat.Name ?? chat.Name,
            Updated = now,
            LastMessage = Preview(stored),
            LastMessageAt = stored.Timestamp,
        };
        if (message.FromAgent && !message.Automated && _options.OperatorTakeover)
        {
            // A human answered in the platform's own inbox: the AI must not talk over them.
            chat = TakeOver(chat, now);
        }
        S.Chat = chat;
        if (!message.FromAgent)
        {
            OnCustomerMessage(stored, now);
        }
        EnqueueArchive(chat: S.Chat, message: stored);
        events.Add(ChatEvent.For(stored));
        events.Add(ChatEvent.For(chat));
        await CommitAsync(events);
        return new ReceiveResult(ReceiveOutcome.Accepted, stored);
    }

    public async Task<SendResult> SendAsync(OutboundRequest request)
    {
        var firstId = ChatIds.ForOutgoing(ChatId, request.DeliveryKey);
        if (S.SeenMessageIds.Contains(firstId))
        {
            var known = S.Recent.Where(m => m.Id == firstId || m.PlatformMessageId.StartsWith($"pending:{request.DeliveryKey}#", StringComparison.Ordinal)).ToList();
            return new SendResult(SendOutcome.Duplicate, known.Count > 0 ? known : [S.Recent.Find(m => m.Id == firstId)!]);
        }
        if (S.Chat is null && request.Chat is null)
        {
            return new SendResult(SendOutcome.UnknownChat, []);
        }

        var now = time.GetUtcNow();
        await AdoptArchivedChatAsync();
        var chat = EnsureChat(request.Chat!, now);
        var messages = AddOutgoing(chat, request.Text, request.DeliveryKey, request.ResponseMode, request.SenderName, now, deliver: true);
        chat = S.Chat!;
        if (request.ResponseMode == ResponseModes.Operator && _options.OperatorTakeover)
        {
            chat = TakeOver(chat, now);
        }
        S.Chat = chat;
        EnqueueArchive(chat: chat);
        await CommitAsync([.. messages.Select(ChatEvent.For), ChatEvent.For(chat)]);
        return new SendResult(SendOutcome.Accepted, messages);
    }

    /// <summary>
    /// Stores a reply as one message per platform-sized part, ids from its delivery key, queued for delivery
    /// (or, for a reply that must not go out, kept as discarded for the record).
    /// </summary>
    private List<ChatMessage> AddOutgoing(Chat chat, string text, string deliveryKey, string responseMode, string? senderName, DateTimeOffset now, bool deliver)
    {
        var maxLength = gateways.Find(chat.Platform)?.MaxTextLength ?? 4096;
        var parts = TextSplitter.Split(text, maxLength);
        var messages = new List<ChatMessage>(parts.Count);
        for (var i = 0; i < parts.Count; i++)
        {
            var key = i == 0 ? deliveryKey : $"{deliveryKey}#{i}";
            var message = new ChatMessage
            {
                Id = ChatIds.ForOutgoing(ChatId, deliveryKey, i),
                PlatformMessageId = $"pending:{key}",
                Source = chat.Source,
                Platform = chat.Platform,
                ChatId = chat.Id,
                Type = MessageTypes.Text,
                Content = parts[i],
                IsIncoming = false,
                // Parts keep their order even when the clock does not move between them.
                Timestamp = now.AddTicks(i),
                SenderId = responseMode,
                SenderName = senderName,
                ResponseMode = responseMode,
                Status = deliver ? MessageStatus.Pending : MessageStatus.Discarded,
            };
            messages.Add(message);
            Remember(message);
            if (deliver)
            {
                S.Outbox.Add(new PendingDelivery(message.Id, 0, now));
            }
        }
        if (deliver)
        {
            S.Chat = chat with { Updated = now, LastMessage = Preview(messages[^1]), LastMessageAt = now };
        }
        // The chat first: a new chat's record must exist before its messages point at it.
        EnqueueArchive(chat: S.Chat ?? chat);
        foreach (var message in messages)
        {
            EnqueueArchive(message: message);
        }
        return messages;
    }

    public async Task<Chat?> SetAutoModeAsync(bool autoMode)
    {
        if (S.Chat is null)
        {
            return null;
        }
        if (S.Chat.AutoMode == autoMode)
        {
            return S.Chat;
        }
        // Switched by hand: a hand-back timer from an earlier takeover no longer applies.
        S.TakenOverAt = null;
        var chat = SwitchAutoMode(autoMode, time.GetUtcNow());
        EnqueueArchive(chat: chat);
        await CommitAsync([ChatEvent.For(chat)]);
        return chat;
    }

    public async Task WakeAsync()
    {
        // Woken by the sweep: nothing left here means the registry entry is stale (left by a crash, or lazily kept).
        _registeredPending = true;
        await TrackPendingAsync(settle: true);
        await KickWorkAsync();
    }

    public async Task DeliveryCompletedAsync(string messageId, DeliveryResult result)
    {
        _deliveryRunning = false;
        var index = S.Outbox.FindIndex(p => p.MessageId == messageId);
        var message = S.Recent.Find(m => m.Id == messageId);
        if (index < 0 || message is null)
        {
            await KickWorkAsync();
            return;
        }

        var pending = S.Outbox[index];
        var events = new List<ChatEvent>(2);
        if (result.Sent)
        {
            S.Outbox.RemoveAt(index);
            // Without the platform's id (an unreadable 2xx) the stand-in says so rather than looking pending.
            var platformId = result.PlatformMessageId ?? (message.PlatformMessageId.StartsWith("pending:", StringComparison.Ordinal)
                ? string.Concat("unknown:", message.PlatformMessageId.AsSpan("pending:".Length))
                : message.PlatformMessageId);
            message = message with { Status = MessageStatus.Sent, PlatformMessageId = platformId, Error = result.Error };
        }
        else if (result.Permanent || (result.RetryAfter is null && pending.Attempts + 1 >= _options.DeliveryMaxAttempts))
        {
            S.Outbox.RemoveAt(index);
            message = message with { Status = MessageStatus.Failed, Error = result.Error };
            LogDeliveryFailed(messageId, ChatId, result.Error);
            if (S.Chat is not null)
            {
                S.Chat = S.Chat with { Error = result.Error, Updated = time.GetUtcNow() };
                EnqueueArchive(chat: S.Chat);
                events.Add(ChatEvent.For(S.Chat));
            }
        }
        else
        {
            // A deferred reply was never attempted (rate budget): it waits for the reset without using up attempts.
            var attempts = result.RetryAfter is null ? pending.Attempts + 1 : pending.Attempts;
            S.Outbox[index] = pending with { Attempts = attempts, NotBefore = time.GetUtcNow() + (result.RetryAfter ?? _options.Backoff(attempts)) };
            message = message with { Error = result.Error };
            LogDeliveryRetry(messageId, ChatId, attempts, result.Error);
        }
        Remember(message);
        EnqueueArchive(message: message);
        events.Insert(0, ChatEvent.For(message));
        if (result.Sent && S.Chat?.Error is not null)
        {
            S.Chat = S.Chat with { Error = null };
            EnqueueArchive(chat: S.Chat);
            events.Add(ChatEvent.For(S.Chat));
        }
        await CommitAsync(events);
    }

    public async Task MediaCompletedAsync(string messageId, MediaOutcome outcome)
    {
        _mediaRunning = false;
        var index = S.MediaQueue.FindIndex(j => j.MessageId == messageId);
        if (index < 0)
        {
            await KickWorkAsync();
            return;
        }
        var job = S.MediaQueue[index];
        var message = S.Recent.Find(m => m.Id == messageId);
        if (outcome.Error is not null && !outcome.Permanent && job.Attempts + 1 < _options.DeliveryMaxAttempts)
        {
            var attempts = job.Attempts + 1;
            S.MediaQueue[index] = job with { Attempts = attempts, NotBefore = time.GetUtcNow() + _options.Backoff(attempts) };
            LogMediaRetry(messageId, ChatId, attempts, outcome.Error);
            await CommitAsync([]);
            return;
        }
        S.MediaQueue.RemoveAt(index);
        if (message is null)
        {
            await CommitAsync([]);
            return;
        }
        message = outcome.MediaFileId is not null
            ? message with
            {
                MediaFileId = outcome.MediaFileId,
                FileName = message.FileName ?? outcome.FileName,
                MimeType = message.MimeType ?? outcome.MimeType,
                Content = outcome.Content ?? message.Content,
            }
            : message with { Error = outcome.Error };
        if (outcome.MediaFileId is null)
        {
            LogMediaUnavailable(messageId, ChatId, outcome.Error);
        }
        Remember(message);
        EnqueueArchive(message: message);
        await CommitAsync([ChatEvent.For(message)]);
    }

    public async Task ArchiveCompletedAsync(long upToSequence, string? error)
    {
        _archiveRunning = false;
        var removed = S.ArchiveOutbox.RemoveAll(op => op.Sequence <= upToSequence);
        if (error is not null)
        {
            _archiveFailures++;
            var wait = _options.Backoff(_archiveFailures);
            _archiveNotBefore = time.GetUtcNow() + wait;
            LogArchiveRetry(ChatId, S.ArchiveOutbox.Count, error);
            ScheduleRetry(wait);
        }
        else
        {
            _archiveFailures = 0;
        }
        archiveBacklog.Report(ChatId, S.ArchiveOutbox.Count, _archiveFailures > 0);
        if (removed > 0)
        {
            await CommitAsync([]);
        }
        else if (error is null)
        {
            await KickWorkAsync();
        }
    }

    /// <summary>
    /// A chat the archive knows but this grain does not (an operator's existing PocketBase, the original
    /// service's records) keeps what it had: autoMode, openAIThreadId, name. Asked once, on first contact.
    /// </summary>
    private async Task AdoptArchivedChatAsync()
    {
        if (S.Chat is not null || _adoptionChecked)
        {
            return;
        }
        _adoptionChecked = true;
        try
        {
            if (await archive.GetChatAsync(ChatId, CancellationToken.None) is { } archived)
            {
                S.Chat = archived with { Id = ChatId, AiRunning = false };
            }
        }
        catch (Exception ex)
        {
            // The archive may be down; the chat starts from the defaults and the archive write will merge.
            LogAdoptionFailed(ex, ChatId);
        }
    }

    private Chat EnsureChat(ChatAddress address, DateTimeOffset now) =>
        S.Chat ??= new Chat
        {
            Id = ChatId,
            PlatformChatId = address.PlatformChatId,
            Source = address.Source,
            Platform = address.Platform,
            Name = address.Name,
            IsGroup = address.IsGroup,
            AutoMode = _options.AutoModeDefault,
            Updated = now,
        };

    private void Remember(ChatMessage message)
    {
        var at = S.Recent.FindIndex(m => m.Id == message.Id);
        if (at >= 0)
        {
            S.Recent[at] = message;
            return;
        }
        S.Recent.Add(message);
        S.SeenMessageIds.Add(message.Id);
        // Keep undelivered replies in Recent however old they are: delivery needs their text.
        while (S.Recent.Count > _options.RecentMessages && !S.Outbox.Exists(p => p.MessageId == S.Recent[0].Id))
        {
            S.Recent.RemoveAt(0);
        }
        if (S.SeenMessageIds.Count > _options.DedupWindow)
        {
            S.SeenMessageIds.RemoveRange(0, S.SeenMessageIds.Count - _options.DedupWindow);
        }
    }

    private void EnqueueArchive(Chat? chat = null, ChatMessage? message = null)
    {
        // Chat before message: a PocketBase message row points at its chat. No coalescing: an op may be in
        // flight in the archive loop, and upserts are cheap and idempotent.
        if (chat is not null)
        {
            S.ArchiveOutbox.Add(new ArchiveOp(S.NextArchiveSequence++, chat, null));
        }
        if (message is not null)
        {
            S.ArchiveOutbox.Add(new ArchiveOp(S.NextArchiveSequence++, null, message));
        }
    }

    /// <summary>Makes the change durable, tells subscribers, and starts whatever background work it needs.</summary>
    private async Task CommitAsync(IReadOnlyList<ChatEvent> events)
    {
        await PersistAsync(events);
        await KickWorkAsync();
    }

    /// <summary>Durable first, then told: used as is from inside KickWorkAsync, which must not recurse.</summary>
    private async Task PersistAsync(IReadOnlyList<ChatEvent> events)
    {
        await state.WriteStateAsync();
        archiveBacklog.Report(ChatId, S.ArchiveOutbox.Count, _archiveFailures > 0);
        await TrackPendingAsync();
        // The change is durable already; a lost live event is repaired by the SSE resync.
        await PublishAsync(events);
    }

    private bool HasPendingWork() =>
        S.Outbox.Count > 0 || S.ArchiveOutbox.Count > 0 || S.MediaQueue.Count > 0 || HasPendingReplies();

    /// <summary>
    /// Registers the chat as soon as it has unfinished work; unregisters it lazily (when it is swept with
    /// nothing to do, or deactivates idle), so an active chat does not write the registry twice per message
    /// (the benchmark showed those syncs in the ingest path).
    /// </summary>
    private async Task TrackPendingAsync(bool settle = false)
    {
        var pending = HasPendingWork();
        if (pending == _registeredPending || (!pending && !settle))
        {
            return;
        }
        try
        {
            await pendingWork.SetAsync(ChatId, pending);
            _registeredPending = pending;
        }
        catch (Exception ex)
        {
            LogPendingRegistryFailed(ex, ChatId);
        }
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (reason.ReasonCode != DeactivationReasonCode.ShuttingDown)
        {
            await TrackPendingAsync(settle: true);
        }
    }

    /// <summary>Starts whatever background work is due and not running; re-arms the timer for what waits.</summary>
    private async Task KickWorkAsync()
    {
        var now = time.GetUtcNow();
        if (!_archiveRunning && S.ArchiveOutbox.Count > 0 && now < _archiveNotBefore)
        {
            ScheduleRetry(_archiveNotBefore - now);
        }
        else if (!_archiveRunning && S.ArchiveOutbox.Count > 0)
        {
            _archiveRunning = true;
            var batch = S.ArchiveOutbox.Take(64).ToArray();
            var self = this.AsReference<IChatGrain>();
            _ = Task.Run(() => WriteArchiveAsync(batch, self));
        }

        if (!_mediaRunning && S.MediaQueue.Count > 0)
        {
            var job = S.MediaQueue[0];
            if (job.NotBefore > now)
            {
                ScheduleRetry(job.NotBefore - now);
            }
            else
            {
                _mediaRunning = true;
                var self = this.AsReference<IChatGrain>();
                var message = S.Recent.Find(m => m.Id == job.MessageId);
                _ = Task.Run(() => FetchMediaAsync(job, message, self));
            }
        }

        if (!_deliveryRunning && S.Outbox.Count > 0 && S.Chat is not null)
        {
            var next = S.Outbox[0];
            var wait = next.NotBefore - now;
            if (wait > TimeSpan.Zero)
            {
                ScheduleRetry(wait);
            }
            else if (S.Recent.Find(m => m.Id == next.MessageId) is not { } message)
            {
                S.Outbox.RemoveAt(0);
            }
            else
            {
                _deliveryRunning = true;
                var chat = S.Chat;
                var self = this.AsReference<IChatGrain>();
                _ = Task.Run(() => DeliverAsync(chat, message, self));
            }
        }

        await KickRepliesAsync(now);
    }

    /// <summary>One timer serves every kind of retry: it wakes at the earliest due time and KickWork re-arms it.</summary>
    private void ScheduleRetry(TimeSpan due)
    {
        var at = time.GetUtcNow() + due;
        if (_retryTimer is not null && _retryDue <= at)
        {
            return;
        }
        _retryTimer?.Dispose();
        _retryDue = at;
        _retryTimer = this.RegisterGrainTimer(
            () =>
            {
                _retryTimer?.Dispose();
                _retryTimer = null;
                _retryDue = DateTimeOffset.MaxValue;
                return KickWorkAsync();
            },
            new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan));
    }

    private async Task WriteArchiveAsync(ArchiveOp[] batch, IChatGrain self)
    {
        long done = 0;
        string? error = null;
        try
        {
            if (archive is IBatchingChatArchive batching)
            {
                // One transaction for the whole outbox batch: one commit instead of one per record.
                await batching.UpsertBatchAsync([.. batch.Select(op => (op.Chat, op.Message))], CancellationToken.None);
                done = batch[^1].Sequence;
                batch = [];
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
                    archiveBacklog.Rejected();
                    LogArchiveRejected(ChatId, op.Sequence, ex.Message);
                }
                done = op.Sequence;
            }
        }
        catch (Exception ex)
        {
            error = ex.Message;
        }
        await ReportAsync(() => self.ArchiveCompletedAsync(done, error));
    }

    private async Task FetchMediaAsync(MediaJob job, ChatMessage? message, IChatGrain self)
    {
        MediaOutcome outcome;
        var fetcher = mediaFetchers.FirstOrDefault(f => f.Platform == job.Media.Platform);
        if (fetcher is null)
        {
            outcome = new MediaOutcome { Error = $"No media fetcher for platform '{job.Media.Platform}'.", Permanent = true };
        }
        else
        {
            try
            {
                using var timeout = new CancellationTokenSource(_options.DeliveryTimeout, time);
                var fetched = await fetcher.FetchAsync(job.Media, timeout.Token);
                if (fetched.Content is { } content)
                {
                    var mediaId = job.Media.MediaId;
                    await mediaStore.SaveAsync(mediaId, content, timeout.Token);
                    outcome = new MediaOutcome
                    {
                        MediaFileId = mediaId,
                        FileName = content.FileName,
                        MimeType = content.MimeType,
                        Content = await UnderstandAsync(message, job.Media, content, timeout.Token),
                    };
                }
                else
                {
                    outcome = new MediaOutcome { Error = fetched.Unavailable ?? "The file is not available.", Permanent = true };
                }
            }
            catch (Exception ex)
            {
                outcome = new MediaOutcome { Error = ex.Message };
            }
        }
        await ReportAsync(() => self.MediaCompletedAsync(job.MessageId, outcome));
    }

    private async Task DeliverAsync(Chat chat, ChatMessage message, IChatGrain self)
    {
        DeliveryResult result;
        var gateway = gateways.Find(chat.Platform);
        if (gateway is null)
        {
            result = DeliveryResult.Rejected($"Platform '{chat.Platform}' is not configured: set {GatewayRegistry.SettingFor(chat.Platform)}.");
        }
        else
        {
            try
            {
                using var timeout = new CancellationTokenSource(_options.DeliveryTimeout, time);
                result = await gateway.SendTextAsync(chat, message, timeout.Token);
            }
            catch (Exception ex)
            {
                result = DeliveryResult.Transient(ex.Message);
            }
        }
        await ReportAsync(() => self.DeliveryCompletedAsync(message.Id, result));
    }

    private async Task ReportAsync(Func<Task> report)
    {
        try
        {
            await report();
        }
        catch (Exception ex)
        {
            // The silo may be going away; the pending-work sweep resumes this chat elsewhere.
            LogReportFailed(ex, ChatId);
        }
    }

    private static string? Preview(ChatMessage message)
    {
        var text = message.Content ?? message.FileName ?? $"[{message.Type}]";
        return text.Length <= 120 ? text : string.Concat(text.AsSpan(0, 119), "…");
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery of {MessageId} in chat {ChatId} failed for good: {Error}")]
    private partial void LogDeliveryFailed(string messageId, string chatId, string? error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivery of {MessageId} in chat {ChatId} failed (attempt {Attempt}), will retry: {Error}")]
    private partial void LogDeliveryRetry(string messageId, string chatId, int attempt, string? error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fetching the file of {MessageId} in chat {ChatId} failed (attempt {Attempt}), will retry: {Error}")]
    private partial void LogMediaRetry(string messageId, string chatId, int attempt, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The file of {MessageId} in chat {ChatId} is stored without its content: {Error}")]
    private partial void LogMediaUnavailable(string messageId, string chatId, string? error);

    [LoggerMessage(Level = LogLevel.Error, Message = "The archive refuses write {Sequence} of chat {ChatId}; it is set aside: {Reason}")]
    private partial void LogArchiveRejected(string chatId, long sequence, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Archive write for chat {ChatId} failed, {Backlog} writes kept for retry: {Error}")]
    private partial void LogArchiveRetry(string chatId, int backlog, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Publishing an event of chat {ChatId} failed")]
    private partial void LogPublishFailed(Exception ex, string chatId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording pending work of chat {ChatId} failed")]
    private partial void LogPendingRegistryFailed(Exception ex, string chatId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Chat {ChatId} could not be looked up in the archive; it starts from the defaults")]
    private partial void LogAdoptionFailed(Exception ex, string chatId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reporting background work of chat {ChatId} back to its grain failed")]
    private partial void LogReportFailed(Exception ex, string chatId);
}

public static class StorageNames
{
    public const string Chats = "chatStore";
    public const string PubSub = "PubSubStore";
}
