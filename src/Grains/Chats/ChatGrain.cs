using MessengerAutoReply.Ai;
using MessengerAutoReply.Delivery;
using MessengerAutoReply.Events;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace MessengerAutoReply.Chats;

/// <summary>
/// Owns one chat: makes every change durable in grain state first, then publishes it, then hands the I/O it
/// needs (sends, file fetches, archive writes, AI runs) to workers that run outside the grain's turn and report
/// back through <see cref="IChatWorkReports"/>. The decisions themselves live in <see cref="ChatBook"/> and
/// <see cref="ReplyPolicy"/>; this class is the order of things: persist, publish, start work, wait for reports.
/// </summary>
public sealed partial class ChatGrain(
    [PersistentState("chat", StorageNames.Chats)] IPersistentState<ChatState> state,
    ChatWorkers workers,
    IPendingWorkRegistry pendingWork,
    IChatEventSink events,
    IOptions<ChatOptions> options,
    AiOptions ai,
    [FromKeyedServices(ChatClock.Key)] TimeProvider time,
    ILogger<ChatGrain> logger) : Grain, IChatGrain, IChatWorkReports, IIncomingGrainCallFilter
{
    private readonly ChatOptions _options = options.Value;
    private ChatBook _book = null!;
    // Work in flight holds a lease, not a flag: a report that is lost (a timed-out grain call, a silo going away)
    // must not stop the chat for good. Past its lease, the work is started again.
    private WorkLease _delivery, _archive, _media, _run;
    // _stale: a write failed and storage could not even be read back; memory may hold a change that is not durable.
    private bool _adoptionChecked, _registeredPending, _archiveTrimUnsaved, _stale;
    private ChatTimer _timer = null!;
    private readonly Dictionary<string, DeliveryResult> _sentUnsaved = [];
    private DateTimeOffset _archiveNotBefore;
    private int _archiveFailures;

    private ChatState S => state.State;

    private string ChatId => this.GetPrimaryKeyString();

    private IChatWorkReports Self => this.AsReference<IChatWorkReports>();

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        _book = NewBook();
        _timer = new ChatTimer((due, callback) => this.RegisterGrainTimer(callback, new GrainTimerCreationOptions(due, Timeout.InfiniteTimeSpan)), KickOnTimerAsync);
        _registeredPending = _book.HasPendingWork;
        workers.Archive.ReportBacklog(ChatId, S.ArchiveOutbox.Count, false);
        return Task.CompletedTask;
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (reason.ReasonCode == DeactivationReasonCode.ShuttingDown)
        {
            return;
        }
        if (_archiveTrimUnsaved)
        {
            // Written archive ops are dropped from storage lazily; an idle chat saves that once, here.
            await TryPersistAsync();
        }
        await TrackPendingAsync(settle: true);
    }

    /// <summary>Every call starts from storage again after a write that failed and could not be undone.</summary>
    public async Task Invoke(IIncomingGrainCallContext context)
    {
        if (_stale)
        {
            await ReloadAsync();
        }
        await context.Invoke();
    }

    public ValueTask<Chat?> GetAsync() => ValueTask.FromResult(S.Chat);

    public ValueTask<IReadOnlyList<ChatMessage>> GetUnarchivedAsync() => ValueTask.FromResult<IReadOnlyList<ChatMessage>>(
        [.. S.ArchiveOutbox.Where(op => op.Message is not null).Select(op => op.Message!).GroupBy(m => m.Id).Select(g => g.Last())]);

    public async Task<ReceiveResult> ReceiveAsync(InboundMessage message)
    {
        await AdoptArchivedChatAsync();
        var (result, changes) = _book.Receive(message, time.GetUtcNow());
        if (changes.Count > 0)
        {
            await CommitAsync(changes);
        }
        return result;
    }

    public async Task<SendResult> SendAsync(OutboundRequest request)
    {
        if (_book.Known(request.DeliveryKey) is { } known)
        {
            return new SendResult(SendOutcome.Duplicate, known);
        }
        if (S.Chat is null && request.Chat is null)
        {
            return new SendResult(SendOutcome.UnknownChat, []);
        }
        await AdoptArchivedChatAsync();
        var (messages, changes) = _book.Send(request, time.GetUtcNow());
        await CommitAsync(changes);
        return new SendResult(SendOutcome.Accepted, messages);
    }

    public async Task<Chat?> SetAutoModeAsync(bool autoMode)
    {
        if (_book.SetAutoMode(autoMode, time.GetUtcNow()) is not { } changes)
        {
            return null;
        }
        if (changes.Count > 0)
        {
            await CommitAsync(changes);
        }
        return S.Chat;
    }

    public async Task WakeAsync()
    {
        // Woken by the sweep: nothing left here means the registry entry is stale (left by a crash, or lazily kept).
        _registeredPending = true;
        await TrackPendingAsync(settle: true);
        await KickWorkAsync();
    }

    async Task IChatWorkReports.DeliveryCompletedAsync(string messageId, DeliveryResult result)
    {
        _delivery = _delivery.EndFor(messageId);
        var changes = _book.Delivered(messageId, result, time.GetUtcNow());
        if (changes.Count == 0)
        {
            await KickWorkAsync();
            return;
        }
        switch (changes[0].Message?.Status)
        {
            case MessageStatus.Failed:
                LogDeliveryFailed(messageId, ChatId, result.Error);
                break;
            case MessageStatus.Pending:
                LogDeliveryRetry(messageId, ChatId, result.Error);
                break;
        }
        try
        {
            await CommitAsync(changes);
        }
        catch (Exception) when (result.Sent)
        {
            // Sent, but storage refuses the record of it (an outage): the undone state says "pending" again. This
            // activation remembers the send and applies it once storage is back instead of sending it again.
            _sentUnsaved[messageId] = result;
            throw;
        }
    }

    async Task IChatWorkReports.MediaCompletedAsync(string messageId, MediaOutcome outcome)
    {
        _media = _media.EndFor(messageId);
        var changes = _book.MediaFetched(messageId, outcome, time.GetUtcNow());
        if (changes is null)
        {
            await KickWorkAsync();
            return;
        }
        if (outcome.Error is not null)
        {
            LogMediaProblem(messageId, ChatId, changes.Count == 0 && S.MediaQueue.Exists(j => j.MessageId == messageId), outcome.Error);
        }
        await CommitAsync(changes);
    }

    async Task IChatWorkReports.RunCompletedAsync(string runId, ReplyOutcome outcome)
    {
        if (_book.RunCompleted(runId, outcome, time.GetUtcNow()) is not { } changes)
        {
            return;
        }
        _run = default;
        if (!outcome.Succeeded)
        {
            LogRunFailed(runId, ChatId, outcome.Error);
        }
        await CommitAsync(changes);
    }

    async Task IChatWorkReports.ConversationStartedAsync(string runId, string conversationId)
    {
        if (_book.ConversationStarted(runId, conversationId) is { } changes)
        {
            await CommitAsync(changes, kick: false);
        }
    }

    Task IChatWorkReports.ArchiveCompletedAsync(long upToSequence, string? error)
    {
        _archive = default;
        // No state write for this: upserts are idempotent, so ops written but still in storage (after a crash)
        // are only written again. The next change saves the shorter outbox, or deactivation does.
        _archiveTrimUnsaved |= S.ArchiveOutbox.RemoveAll(op => op.Sequence <= upToSequence) > 0;
        if (error is not null)
        {
            _archiveFailures++;
            _archiveNotBefore = time.GetUtcNow() + _book.Retries.Backoff(_archiveFailures);
            LogArchiveRetry(ChatId, S.ArchiveOutbox.Count, error);
        }
        else
        {
            _archiveFailures = 0;
        }
        workers.Archive.ReportBacklog(ChatId, S.ArchiveOutbox.Count, _archiveFailures > 0);
        return KickWorkAsync();
    }

    private ChatBook NewBook() => new(ChatId, S, _options, new ReplyPolicy(ai, workers.Replies.Enabled, _options.OperatorTakeover), workers.Delivery.MaxTextLength);

    /// <summary>A chat the archive knows but this grain does not keeps what it had. Asked once, on first contact.</summary>
    private async Task AdoptArchivedChatAsync()
    {
        if (S.Chat is not null || _adoptionChecked)
        {
            return;
        }
        _adoptionChecked = true;
        if (await workers.Archive.FindChatAsync(ChatId) is { } archived)
        {
            _book.Adopt(archived);
        }
    }

    /// <summary>Makes the change durable, tells subscribers, and starts whatever background work it needs.</summary>
    private async Task CommitAsync(IReadOnlyList<ChatEvent> changes, bool kick = true)
    {
        await PersistAsync(changes);
        if (kick)
        {
            await KickWorkAsync();
        }
    }

    /// <summary>Durable first, then told.</summary>
    private async Task PersistAsync(IReadOnlyList<ChatEvent> changes)
    {
        try
        {
            await state.WriteStateAsync();
            _archiveTrimUnsaved = false;
        }
        catch (Exception ex)
        {
            // Nothing of a change that is not durable may stay in memory: a message marked seen here would make
            // the platform's retry a "duplicate" of something never stored. Back to what storage holds; if it
            // cannot even be read, the next call or the timer reads it first. Either way the timer comes back, so
            // work that was due (a run, a send) is not left waiting for a call that may never come.
            LogWriteFailed(ex, ChatId);
            _stale = true;
            await TryReloadAsync();
            _timer.WaitUntil(time.GetUtcNow() + _book.Retries.Backoff(1), time.GetUtcNow());
            throw;
        }
        workers.Archive.ReportBacklog(ChatId, S.ArchiveOutbox.Count, _archiveFailures > 0);
        await TrackPendingAsync();
        // The change is durable already; a lost live event is repaired by the SSE resync.
        foreach (var change in changes)
        {
            events.Publish(change);
        }
    }

    private async Task ReloadAsync()
    {
        await state.ReadStateAsync();
        _book = NewBook();
        _stale = false;
        // Unknown after a failed write: the next change registers pending work again (an idempotent write).
        _registeredPending = false;
    }

    private async Task TryReloadAsync()
    {
        try
        {
            await ReloadAsync();
        }
        catch (Exception ex)
        {
            LogReadFailed(ex, ChatId);
        }
    }

    /// <summary>The timer's kick: a failure here has no caller to tell, so it is logged and tried again later.</summary>
    private async Task KickOnTimerAsync()
    {
        try
        {
            if (_stale)
            {
                await ReloadAsync();
            }
            await KickWorkAsync();
        }
        catch (Exception ex)
        {
            LogKickFailed(ex, ChatId);
            _timer.WaitUntil(time.GetUtcNow() + _book.Retries.Backoff(2), time.GetUtcNow());
        }
    }

    private async Task TryPersistAsync()
    {
        try
        {
            await PersistAsync([]);
        }
        catch (Exception)
        {
            // Logged by PersistAsync; the ops are written again after the next activation, nothing is lost.
        }
    }

    /// <summary>
    /// Registers the chat as soon as it has unfinished work; unregisters it lazily (when it is swept with nothing
    /// to do, or deactivates idle), so an active chat does not write the registry twice per message.
    /// </summary>
    private async Task TrackPendingAsync(bool settle = false)
    {
        var pending = _book.HasPendingWork;
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

    /// <summary>Starts whatever work is due and not running; re-arms the timer for what waits.</summary>
    private async Task KickWorkAsync()
    {
        var now = time.GetUtcNow();
        var lease = now + _options.WorkLease;
        if (S.ArchiveOutbox.Count > 0 && !_timer.Waiting(_archive, now) && !_timer.WaitUntil(_archiveNotBefore, now))
        {
            var batch = S.ArchiveOutbox.Take(ArchiveWorker.BatchSize).ToArray();
            _archive = workers.Archive.Start(Self, ChatId, batch) ? WorkLease.Start("archive", lease) : default;
        }
        if (S.MediaQueue.Count > 0 && !_timer.Waiting(_media, now) && S.MediaQueue[0] is var job && !_timer.WaitUntil(job.NotBefore, now))
        {
            _media = workers.Media.Start(Self, ChatId, job, _book.Memory.Find(job.MessageId)) ? WorkLease.Start(job.MessageId, lease) : default;
        }
        while (S.Outbox.Count > 0 && S.Chat is not null && !_timer.Waiting(_delivery, now) && !_timer.WaitUntil(S.Outbox[0].NotBefore, now)
            && !_timer.WaitUntil(workers.Delivery.NextSendAt(S.Chat, S.LastSentAt), now))
        {
            if (_book.Memory.Find(S.Outbox[0].MessageId) is not { } message)
            {
                S.Outbox.RemoveAt(0);
                continue;
            }
            if (_sentUnsaved.Remove(message.Id, out var sent))
            {
                await ((IChatWorkReports)this).DeliveryCompletedAsync(message.Id, sent);
                return;
            }
            _delivery = workers.Delivery.Start(Self, S.Chat, message) ? WorkLease.Start(message.Id, lease) : default;
            break;
        }
        await KickRepliesAsync(now);
    }

    private async Task KickRepliesAsync(DateTimeOffset now)
    {
        if (S.Chat is null)
        {
            return;
        }
        if (_book.HandBack(now) is { } handedBack)
        {
            LogHandedBack(ChatId);
            await PersistAsync(handedBack);
        }
        else if (_book.Replies.HandBackAt(S) is { } handBackAt)
        {
            _timer.WaitUntil(handBackAt, now);
        }
        if (!workers.Replies.Enabled || _timer.Waiting(_run, now))
        {
            return;
        }
        if (S.Run is { } interrupted)
        {
            // Recorded but not running here: the activation that started it is gone. Resume it, reading OpenAI's
            // conversation first so a completed answer is used, not asked for twice (decision 7).
            StartRun(interrupted, resume: true);
            return;
        }
        switch (_book.Replies.NextRun(S, now, _book.RunDueAt))
        {
            case RunStep.Wait:
                _timer.WaitUntil(_book.RunDueAt, now);
                break;
            case RunStep.Start:
                var (run, changes) = _book.StartRun(now);
                await PersistAsync(changes);
                StartRun(run, resume: false);
                break;
        }
    }

    private void StartRun(AiRun run, bool resume)
    {
        var history = ReplyInput.History(S.Recent, run);
        _run = workers.Replies.Start(Self, S.Chat!, run, history, resume) ? WorkLease.Start(run.RunId, time.GetUtcNow() + _options.RunLease) : default;
    }
}
