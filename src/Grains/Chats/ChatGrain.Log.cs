using Microsoft.Extensions.Logging;

namespace MessengerAutoReply.Chats;

public sealed partial class ChatGrain
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Delivery of {MessageId} in chat {ChatId} failed for good: {Error}")]
    private partial void LogDeliveryFailed(string messageId, string chatId, string? error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Delivery of {MessageId} in chat {ChatId} failed, will retry: {Error}")]
    private partial void LogDeliveryRetry(string messageId, string chatId, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The file of {MessageId} in chat {ChatId} could not be fetched (retrying: {Retrying}): {Error}")]
    private partial void LogMediaProblem(string messageId, string chatId, bool retrying, string? error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Archive write for chat {ChatId} failed, {Backlog} writes kept for retry: {Error}")]
    private partial void LogArchiveRetry(string chatId, int backlog, string error);

    [LoggerMessage(Level = LogLevel.Warning, Message = "AI run {RunId} of chat {ChatId} failed; its messages are marked unanswered: {Error}")]
    private partial void LogRunFailed(string runId, string chatId, string? error);

    [LoggerMessage(Level = LogLevel.Information, Message = "Chat {ChatId} handed back to the AI (AUTO_MODE_RESUME_AFTER)")]
    private partial void LogHandedBack(string chatId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording pending work of chat {ChatId} failed")]
    private partial void LogPendingRegistryFailed(Exception ex, string chatId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Writing the state of chat {ChatId} failed; the change is undone in memory and the caller told")]
    private partial void LogWriteFailed(Exception ex, string chatId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Re-reading the state of chat {ChatId} after a failed write failed too; the next call or retry reads it first")]
    private partial void LogReadFailed(Exception ex, string chatId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Due work of chat {ChatId} could not be started; trying again shortly")]
    private partial void LogKickFailed(Exception ex, string chatId);
}
