using MessengerAutoReply.Ai;
using MessengerAutoReply.Delivery;

namespace MessengerAutoReply.Chats;

/// <summary>
/// A chat's decisions over its state, without I/O or Orleans: what an incoming message, a reply, a send result,
/// a fetched file or an AI run changes, and the events that say so. The grain persists and publishes what
/// this returns and hands the resulting work to its workers.
/// </summary>
public sealed class ChatBook(string chatId, ChatState state, ChatOptions options, ReplyPolicy replies, Func<string, int> maxTextLength)
{
    private readonly DeliveryPolicy _retries = new(options);

    public ChatMemory Memory { get; } = new(state, options.DedupWindow, options.RecentMessages);

    public ReplyPolicy Replies => replies;

    public DeliveryPolicy Retries => _retries;

    /// <summary>When the next AI run is due (the debounce of the last customer message, or at once after a hand-back).</summary>
    public DateTimeOffset RunDueAt { get; private set; }

    public bool HasPendingWork =>
        state.Outbox.Count > 0 || state.ArchiveOutbox.Count > 0 || state.MediaQueue.Count > 0 || replies.HasPending(state);

    public (ReceiveResult Result, List<ChatEvent> Events) Receive(InboundMessage message, DateTimeOffset now)
    {
        var id = ChatIds.ForIncoming(chatId, message.PlatformMessageId);
        if (message.IsEdit)
        {
            return Edit(id, message, now);
        }
        if (Memory.HasSeen(id))
        {
            return (new ReceiveResult(ReceiveOutcome.Duplicate, Memory.Find(id)), []);
        }
        if (message.FromAgent && (message.IsOwnEcho || state.Recent.Exists(m => !m.IsIncoming && m.PlatformMessageId == message.PlatformMessageId)))
        {
            // Our own reply coming back from the platform: it is stored already, as the message we sent.
            return (new ReceiveResult(ReceiveOutcome.Duplicate, state.Recent.Find(m => !m.IsIncoming && m.PlatformMessageId == message.PlatformMessageId)), []);
        }

        var chat = EnsureChat(message.Chat, now);
        var stored = ChatMessages.Incoming(chat, id, message, now);
        Memory.Remember(stored);
        if (message.Media is not null)
        {
            state.MediaQueue.Add(new MediaJob(stored.Id, message.Media, 0, now));
        }
        chat = chat with { Name = message.Chat.Name ?? chat.Name, Updated = now, LastMessage = ChatMessages.Preview(stored), LastMessageAt = stored.Timestamp };
        if (message.FromAgent && !message.Automated && replies.OperatorTakeover)
        {
            // A human answered in the platform's own inbox: the AI must not talk over them.
            chat = ReplyPolicy.TakeOver(state, chat, now);
        }
        state.Chat = chat;
        if (!message.FromAgent && replies.OnCustomerMessage(state, stored.Id, now) is { } due)
        {
            RunDueAt = due;
        }
        Archive(chat: state.Chat, message: stored);
        return (new ReceiveResult(ReceiveOutcome.Accepted, stored), [ChatEvent.For(stored), ChatEvent.For(chat)]);
    }

    /// <summary>
    /// An edit changes the stored message's text and answers nothing. A message older than the chat's memory is
    /// rebuilt from the edit itself (platforms send the whole message with its original date), so the archive's
    /// record gets the new text too; an edit of a message never seen is stored the same way, never answered.
    /// </summary>
    private (ReceiveResult Result, List<ChatEvent> Events) Edit(string id, InboundMessage message, DateTimeOffset now)
    {
        var existing = Memory.Find(id);
        if (existing is not null && existing.Content == message.Content)
        {
            return (new ReceiveResult(ReceiveOutcome.Duplicate, existing), []);
        }
        var events = new List<ChatEvent>(2);
        if (state.Chat is null)
        {
            events.Add(ChatEvent.For(EnsureChat(message.Chat, now)));
            Archive(chat: state.Chat);
        }
        var edited = existing is not null
            ? existing with { Content = message.Content }
            : ChatMessages.Incoming(state.Chat!, id, message, now);
        Memory.RememberOlder(edited);
        Archive(message: edited);
        events.Insert(0, ChatEvent.For(edited));
        return (new ReceiveResult(ReceiveOutcome.Updated, edited), events);
    }

    /// <summary>The messages a repeated delivery key already made, or null when it is new.</summary>
    public IReadOnlyList<ChatMessage>? Known(string deliveryKey)
    {
        var firstId = ChatIds.ForOutgoing(chatId, deliveryKey);
        if (!Memory.HasSeen(firstId))
        {
            return null;
        }
        var known = state.Recent.Where(m => m.Id == firstId || m.PlatformMessageId.StartsWith($"pending:{deliveryKey}#", StringComparison.Ordinal)).ToList();
        return known.Count > 0 ? known : [.. state.Recent.Where(m => m.Id == firstId)];
    }

    public (List<ChatMessage> Messages, List<ChatEvent> Events) Send(OutboundRequest request, DateTimeOffset now)
    {
        var chat = EnsureChat(request.Chat!, now);
        var messages = AddOutgoing(chat, request.Text, request.DeliveryKey, request.ResponseMode, request.SenderName, now, deliver: true);
        if (request.ResponseMode == ResponseModes.Operator && replies.OperatorTakeover)
        {
            state.Chat = ReplyPolicy.TakeOver(state, state.Chat!, now);
        }
        Archive(chat: state.Chat);
        return (messages, [.. messages.Select(ChatEvent.For), ChatEvent.For(state.Chat!)]);
    }

    /// <summary>Null when the chat does not exist; no events when nothing changes.</summary>
    public List<ChatEvent>? SetAutoMode(bool autoMode, DateTimeOffset now)
    {
        if (state.Chat is null)
        {
            return null;
        }
        if (state.Chat.AutoMode == autoMode)
        {
            return [];
        }
        // Switched by hand: a hand-back timer from an earlier takeover no longer applies.
        state.TakenOverAt = null;
        return SwitchAutoMode(autoMode, now);
    }

    /// <summary>AUTO_MODE_RESUME_AFTER: the takeover is over; null while it is not due.</summary>
    public List<ChatEvent>? HandBack(DateTimeOffset now)
    {
        if (replies.HandBackAt(state) is not { } due || now < due)
        {
            return null;
        }
        state.TakenOverAt = null;
        return SwitchAutoMode(true, now);
    }

    public List<ChatEvent> Delivered(string messageId, DeliveryResult result, DateTimeOffset now)
    {
        var index = state.Outbox.FindIndex(p => p.MessageId == messageId);
        if (index < 0 || Memory.Find(messageId) is not { } message)
        {
            return [];
        }
        var events = new List<ChatEvent>(2);
        var next = _retries.Next(state.Outbox[index], result, now);
        if (result.Sent || result.RetryAfter is not null)
        {
            // A 429 counts too: the platform saw the attempt.
            state.LastSentAt = now;
        }
        if (result.Sent)
        {
            state.Outbox.RemoveAt(index);
            // Without the platform's id (an unreadable 2xx) the stand-in says so rather than looking pending.
            var platformId = result.PlatformMessageId ?? (message.PlatformMessageId.StartsWith("pending:", StringComparison.Ordinal)
                ? string.Concat("unknown:", message.PlatformMessageId.AsSpan("pending:".Length))
                : message.PlatformMessageId);
            message = message with { Status = MessageStatus.Sent, PlatformMessageId = platformId, Error = result.Error };
        }
        else if (next is null)
        {
            state.Outbox.RemoveAt(index);
            message = message with { Status = MessageStatus.Failed, Error = result.Error };
            if (state.Chat is not null)
            {
                state.Chat = state.Chat with { Error = result.Error, Updated = now };
                Archive(chat: state.Chat);
                events.Add(ChatEvent.For(state.Chat));
            }
        }
        else
        {
            state.Outbox[index] = next;
            message = message with { Error = result.Error };
        }
        Memory.Remember(message);
        Archive(message: message);
        events.Insert(0, ChatEvent.For(message));
        if (result.Sent && state.Chat?.Error is not null)
        {
            state.Chat = state.Chat with { Error = null };
            Archive(chat: state.Chat);
            events.Add(ChatEvent.For(state.Chat));
        }
        return events;
    }

    /// <summary>Null when nothing changed (an unknown or repeated report).</summary>
    public List<ChatEvent>? MediaFetched(string messageId, MediaOutcome outcome, DateTimeOffset now)
    {
        var index = state.MediaQueue.FindIndex(j => j.MessageId == messageId);
        if (index < 0)
        {
            return null;
        }
        if (_retries.Next(state.MediaQueue[index], outcome, now) is { } retry)
        {
            state.MediaQueue[index] = retry;
            return [];
        }
        state.MediaQueue.RemoveAt(index);
        if (Memory.Find(messageId) is not { } message)
        {
            return [];
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
        Memory.Remember(message);
        Archive(message: message);
        return [ChatEvent.For(message)];
    }

    /// <summary>Starts a run for every message waiting for an answer.</summary>
    public (AiRun Run, List<ChatEvent> Events) StartRun(DateTimeOffset now)
    {
        var messages = state.AwaitingAnswer.Select(Memory.Find).OfType<ChatMessage>().ToList();
        var run = new AiRun(Guid.NewGuid().ToString("N"), [.. state.AwaitingAnswer], [.. messages.Select(ReplyInput.Text)], now);
        state.AwaitingAnswer.Clear();
        state.Run = run;
        state.Chat = state.Chat! with { AiRunning = true };
        Archive(chat: state.Chat);
        return (run, [ChatEvent.For(state.Chat)]);
    }

    /// <summary>The run created the chat's conversation: kept before the run asks for an answer, so a resumed run reads it.</summary>
    public List<ChatEvent>? ConversationStarted(string runId, string conversationId)
    {
        if (state.Run?.RunId != runId || state.Chat is null || state.Chat.OpenAIThreadId == conversationId)
        {
            return null;
        }
        state.Chat = state.Chat with { OpenAIThreadId = conversationId };
        Archive(chat: state.Chat);
        return [ChatEvent.For(state.Chat)];
    }

    /// <summary>Null for a report of a run that is not this chat's current one.</summary>
    public List<ChatEvent>? RunCompleted(string runId, ReplyOutcome outcome, DateTimeOffset now)
    {
        if (state.Run is not { } run || run.RunId != runId)
        {
            return null;
        }
        state.Run = null;
        var chat = state.Chat! with { AiRunning = false };
        if (outcome.ConversationId is not null)
        {
            chat = chat with { OpenAIThreadId = outcome.ConversationId };
        }
        var events = new List<ChatEvent>();
        if (outcome.Succeeded)
        {
            state.Chat = chat;
            // An operator who wrote during the run owns the chat now: keep the AI's answer for the record only.
            var deliver = chat.AutoMode;
            var sent = AddOutgoing(chat, outcome.Text!, $"ai:{runId}", ResponseModes.Ai, null, now, deliver);
            chat = state.Chat! with { Unanswered = false, Error = deliver ? null : state.Chat.Error };
            state.Unanswered.Clear();
            events.AddRange(sent.Select(ChatEvent.For));
        }
        else
        {
            foreach (var id in run.MessageIds)
            {
                if (Memory.Find(id) is { } message)
                {
                    var marked = message with { Status = MessageStatus.Unanswered, Error = outcome.Error };
                    Memory.Remember(marked);
                    Archive(message: marked);
                    events.Add(ChatEvent.For(marked));
                }
                if (!state.Unanswered.Contains(id))
                {
                    state.Unanswered.Add(id);
                }
            }
            chat = chat with { Unanswered = true, Error = outcome.Error };
        }
        state.Chat = chat;
        Archive(chat: chat);
        events.Add(ChatEvent.For(chat));
        return events;
    }

    /// <summary>A chat the archive knew before this grain did keeps what it had (autoMode, openAIThreadId, name).</summary>
    public void Adopt(Chat archived) => state.Chat ??= archived with { Id = chatId, AiRunning = false };

    private Chat EnsureChat(ChatAddress address, DateTimeOffset now) =>
        state.Chat ??= new Chat
        {
            Id = chatId,
            PlatformChatId = address.PlatformChatId,
            Source = address.Source,
            Platform = address.Platform,
            Name = address.Name,
            IsGroup = address.IsGroup,
            AutoMode = options.AutoModeDefault,
            Updated = now,
        };

    private List<ChatEvent> SwitchAutoMode(bool autoMode, DateTimeOffset now)
    {
        if (replies.SwitchAutoMode(state, Memory, autoMode, now) is { } due)
        {
            RunDueAt = due;
        }
        Archive(chat: state.Chat);
        return [ChatEvent.For(state.Chat!)];
    }

    /// <summary>
    /// Stores a reply as one message per platform-sized part, ids from its delivery key, queued for delivery
    /// (or, for a reply that must not go out, kept as discarded for the record).
    /// </summary>
    private List<ChatMessage> AddOutgoing(Chat chat, string text, string deliveryKey, string responseMode, string? senderName, DateTimeOffset now, bool deliver)
    {
        var messages = ChatMessages.Outgoing(chat, chatId, text, maxTextLength(chat.Platform), deliveryKey, responseMode, senderName, now, deliver);
        foreach (var message in messages)
        {
            Memory.Remember(message);
            if (deliver)
            {
                state.Outbox.Add(new PendingDelivery(message.Id, 0, now));
            }
        }
        if (deliver)
        {
            state.Chat = chat with { Updated = now, LastMessage = ChatMessages.Preview(messages[^1]), LastMessageAt = now };
        }
        // The chat first: a new chat's record must exist before its messages point at it.
        Archive(chat: state.Chat ?? chat);
        foreach (var message in messages)
        {
            Archive(message: message);
        }
        return messages;
    }

    private void Archive(Chat? chat = null, ChatMessage? message = null)
    {
        // Chat before message: a PocketBase message row points at its chat. No coalescing: an op may be in
        // flight in the archive worker, and upserts are cheap and idempotent.
        if (chat is not null)
        {
            state.ArchiveOutbox.Add(new ArchiveOp(state.NextArchiveSequence++, chat, null));
        }
        if (message is not null)
        {
            state.ArchiveOutbox.Add(new ArchiveOp(state.NextArchiveSequence++, null, message));
        }
    }
}
