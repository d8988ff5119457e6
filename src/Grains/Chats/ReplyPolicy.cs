using MessengerAutoReply.Ai;

namespace MessengerAutoReply.Chats;

/// <summary>
/// Who answers a chat, and when: the AI only with autoMode on (and in groups only with AUTO_REPLY_IN_GROUPS), one
/// run after a quiet period (the debounce) answering every message since the last answer; an operator's message
/// takes the chat over (OPERATOR_TAKEOVER); AUTO_MODE_RESUME_AFTER hands it back. Pure: the caller passes the time.
/// </summary>
public sealed class ReplyPolicy(AiOptions ai, bool engineEnabled, bool operatorTakeover)
{
    public bool OperatorTakeover => operatorTakeover;

    public bool RepliesEnabled(Chat? chat) => engineEnabled && chat is { AutoMode: true } c && (!c.IsGroup || ai.ReplyInGroups);

    /// <summary>Work that must survive a restart: a run in flight, messages waiting for one, a hand-back to come.</summary>
    public bool HasPending(ChatState state) =>
        state.Run is not null || (RepliesEnabled(state.Chat) && state.AwaitingAnswer.Count > 0) || (ai.AutoModeResumeAfter is not null && state.TakenOverAt is not null);

    /// <summary>A customer wrote: when the run answering it is due, or null when the AI will not answer.</summary>
    public DateTimeOffset? OnCustomerMessage(ChatState state, string messageId, DateTimeOffset now)
    {
        if (!RepliesEnabled(state.Chat))
        {
            return null;
        }
        if (state.AwaitingAnswer.Count == 0 && state.Unanswered.Count > 0)
        {
            // The last run failed: this message tries again, for those messages too (no stuck chat, no retry storm).
            state.AwaitingAnswer.AddRange(state.Unanswered);
            state.Unanswered.Clear();
        }
        state.AwaitingAnswer.Add(messageId);
        return now + ai.Debounce;
    }

    /// <summary>A person answered: the AI must not talk over them.</summary>
    public static Chat TakeOver(ChatState state, Chat chat, DateTimeOffset now)
    {
        state.TakenOverAt = now;
        state.AwaitingAnswer.Clear();
        return chat with { AutoMode = false };
    }

    /// <summary>
    /// autoMode switched (by hand or by the hand-back). Handed back to the AI, a customer still waiting (the last
    /// word is theirs) gets an answer at once (decision 9): the returned due time.
    /// </summary>
    public DateTimeOffset? SwitchAutoMode(ChatState state, ChatMemory memory, bool autoMode, DateTimeOffset now)
    {
        state.Chat = state.Chat! with { AutoMode = autoMode, Updated = now };
        state.AwaitingAnswer.Clear();
        if (!autoMode || !RepliesEnabled(state.Chat))
        {
            return null;
        }
        state.AwaitingAnswer.AddRange(memory.TrailingIncoming());
        return now;
    }

    /// <summary>When an operator's takeover ends by itself (AUTO_MODE_RESUME_AFTER), or null.</summary>
    public DateTimeOffset? HandBackAt(ChatState state) =>
        ai.AutoModeResumeAfter is { } after && state.TakenOverAt is { } takenOver && state.Chat is { AutoMode: false } ? takenOver + after : null;

    /// <summary>Whether a new run starts now, later, or not at all.</summary>
    public RunStep NextRun(ChatState state, DateTimeOffset now, DateTimeOffset dueAt)
    {
        if (!RepliesEnabled(state.Chat) || state.AwaitingAnswer.Count == 0)
        {
            return RunStep.None;
        }
        if (now < dueAt)
        {
            return RunStep.Wait;
        }
        // Voice and images are understood before the run that answers them; the media report starts it.
        return state.MediaQueue.Exists(j => state.AwaitingAnswer.Contains(j.MessageId)) ? RunStep.WaitForMedia : RunStep.Start;
    }
}
