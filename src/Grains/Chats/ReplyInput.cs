namespace MessengerAutoReply.Chats;

/// <summary>What the assistant reads: the text of one stored message, and the history before a run.</summary>
public static class ReplyInput
{
    public static string Text(ChatMessage message) => message.Type switch
    {
        MessageTypes.Text => message.Content ?? "",
        MessageTypes.Voice or MessageTypes.Audio => message.Content ?? "[a voice message that could not be transcribed]",
        MessageTypes.Image => message.Content ?? "[an image]",
        MessageTypes.Document => $"[Document: {message.FileName ?? "file"}]" + (string.IsNullOrWhiteSpace(message.Content) ? "" : $" {message.Content}"),
        _ => $"[{message.Type}] {message.Content}".TrimEnd(),
    };

    /// <summary>Context for a run: not one of the messages it answers, has text, and was not a reply kept unsent.</summary>
    public static bool IsContext(ChatMessage message, AiRun run) =>
        !run.MessageIds.Contains(message.Id) && message.Content is not null && message.Status != MessageStatus.Discarded;

    /// <summary>Messages said before the run, without the ones it answers and without replies never sent.</summary>
    public static List<Ai.HistoryItem> History(IEnumerable<ChatMessage> messages, AiRun run) =>
        [.. messages.Where(m => IsContext(m, run) && m.Timestamp <= run.StartedAt).Select(m => new Ai.HistoryItem(m.IsIncoming, Text(m)))];
}
