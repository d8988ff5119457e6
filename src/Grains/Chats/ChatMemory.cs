namespace MessengerAutoReply.Chats;

/// <summary>
/// What a chat remembers of its messages: the latest ones in full (edits, delivery updates, AI context) and the
/// ids of a longer window for dedup. Both are bounded; an undelivered reply is kept however old, since its
/// delivery needs its text.
/// </summary>
public sealed class ChatMemory(ChatState state, int dedupWindow, int recentMessages)
{
    public bool HasSeen(string messageId) => state.SeenMessageIds.Contains(messageId);

    public ChatMessage? Find(string messageId) => state.Recent.Find(m => m.Id == messageId);

    /// <summary>Stores a new message or the new version of one, and trims both windows.</summary>
    public void Remember(ChatMessage message)
    {
        var at = state.Recent.FindIndex(m => m.Id == message.Id);
        if (at >= 0)
        {
            state.Recent[at] = message;
            return;
        }
        // Only a message not in the full window gets here, and the caller checked it is new (HasSeen): no second scan.
        state.Recent.Add(message);
        state.SeenMessageIds.Add(message.Id);
        while (state.Recent.Count > recentMessages && !state.Outbox.Exists(p => p.MessageId == state.Recent[0].Id))
        {
            state.Recent.RemoveAt(0);
        }
        if (state.SeenMessageIds.Count > dedupWindow)
        {
            state.SeenMessageIds.RemoveRange(0, state.SeenMessageIds.Count - dedupWindow);
        }
    }

    /// <summary>
    /// The new version of a message older than the full window (an edit, with the old version read from the
    /// archive): back in the window at its place in time, so the AI's history keeps its order.
    /// </summary>
    public void RememberOlder(ChatMessage message)
    {
        if (state.Recent.Exists(m => m.Id == message.Id))
        {
            Remember(message);
            return;
        }
        if (!state.SeenMessageIds.Contains(message.Id))
        {
            state.SeenMessageIds.Add(message.Id);
        }
        var at = state.Recent.Count;
        while (at > 0 && state.Recent[at - 1].Timestamp > message.Timestamp)
        {
            at--;
        }
        if (at > 0 || state.Recent.Count < recentMessages)
        {
            state.Recent.Insert(at, message);
        }
        while (state.Recent.Count > recentMessages && !state.Outbox.Exists(p => p.MessageId == state.Recent[0].Id))
        {
            state.Recent.RemoveAt(0);
        }
    }

    /// <summary>The customer's messages since the chat's last outgoing one (who is still waiting for an answer).</summary>
    public IEnumerable<string> TrailingIncoming() =>
        state.Recent.AsEnumerable().Reverse().TakeWhile(m => m.IsIncoming).Reverse().Select(m => m.Id);
}
