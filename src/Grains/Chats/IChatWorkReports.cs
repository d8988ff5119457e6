namespace MessengerAutoReply.Chats;

/// <summary>
/// How a chat's workers (<see cref="DeliveryWorker"/>, <see cref="MediaWorker"/>, <see cref="ArchiveWorker"/>,
/// <see cref="ReplyWorker"/>) report back to the chat grain that started them. Not part of <see cref="IChatGrain"/>:
/// clients never call these. Every report is idempotent (a repeated or late one changes nothing), so a worker may
/// send it again after a timeout.
/// </summary>
internal interface IChatWorkReports : IGrainWithStringKey
{
    /// <summary>A send finished: sent, to retry, or failed for good.</summary>
    Task DeliveryCompletedAsync(string messageId, Delivery.DeliveryResult result);

    /// <summary>A file is stored (or why it cannot be).</summary>
    Task MediaCompletedAsync(string messageId, MediaOutcome outcome);

    /// <summary>An AI run ended.</summary>
    Task RunCompletedAsync(string runId, Ai.ReplyOutcome outcome);

    /// <summary>
    /// An AI run created the chat's OpenAI conversation: kept before the run asks for an answer, so a run resumed
    /// after a crash reads that conversation instead of starting another and asking twice.
    /// </summary>
    Task ConversationStartedAsync(string runId, string conversationId);

    /// <summary>Archive ops up to <paramref name="upToSequence"/> are written.</summary>
    Task ArchiveCompletedAsync(long upToSequence, string? error);
}
