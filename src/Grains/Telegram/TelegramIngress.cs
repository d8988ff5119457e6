using System.Globalization;
using MessengerAutoReply.Chats;
using Microsoft.Extensions.Logging;
using Telegram.Bot.Types;
using Telegram.Bot.Types.Enums;

namespace MessengerAutoReply.Telegram;

/// <summary>
/// Hands Telegram updates to their chat grains. A plain service rather than a stateless-worker grain: mapping
/// is pure, the chat grain already serializes, dedups and persists per chat, and both callers (the poller grain
/// on a silo, the webhook route on an API host that may be only an Orleans client) can call chat grains directly,
/// so an extra grain hop would add latency and nothing else.
/// </summary>
public sealed partial class TelegramIngress(IGrainFactory grains, ILogger<TelegramIngress> logger)
{
    /// <summary>Returns once the update's message is durable in its chat grain (or the update carries none).</summary>
    public async Task AcceptAsync(Update update)
    {
        InboundMessage? message;
        string? skipped;
        try
        {
            (message, skipped) = TelegramUpdateMapper.Map(update);
        }
        catch (Exception ex)
        {
            // A shape the mapper cannot read must not block the queue behind it forever.
            LogUnreadable(ex, update.Id);
            return;
        }
        if (message is null)
        {
            LogSkipped(update.Id, skipped);
            if (update.MyChatMember is { NewChatMember.Status: ChatMemberStatus.Kicked } left)
            {
                LogBlocked(left.Chat.Id.ToString(CultureInfo.InvariantCulture));
            }
            return;
        }
        var result = await grains.GetGrain<IChatGrain>(message.Chat.ChatId).ReceiveAsync(message);
        LogAccepted(update.Id, message.Type, result.Outcome);
    }

    /// <summary>Why the mapper cannot read <paramref name="update"/>, or null when it can (the mapper is pure, so the answer never changes).</summary>
    public static Exception? ReadError(Update update)
    {
        try
        {
            TelegramUpdateMapper.Map(update);
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    /// <summary>
    /// Accepts a getUpdates batch: chats in parallel, each chat's updates in order, a chat stopping at its first
    /// failure. Returns how many were accepted and the failures (at most one per chat) by update_id; everything
    /// before the first failure, in every chat, is durable.
    /// </summary>
    public async Task<(int Accepted, IReadOnlyList<(Update Update, Exception Error)> Failures)> AcceptBatchAsync(IReadOnlyList<Update> updates)
    {
        var failures = new List<(Update Update, Exception Error)>();
        var accepted = 0;
        var byChat = updates.OrderBy(u => u.Id).GroupBy(ChatKey);
        await Task.WhenAll(byChat.Select(async group =>
        {
            foreach (var update in group)
            {
                try
                {
                    await AcceptAsync(update);
                    Interlocked.Increment(ref accepted);
                }
                catch (Exception ex)
                {
                    lock (failures)
                    {
                        failures.Add((update, ex));
                    }
                    return;
                }
            }
        }));
        return (accepted, [.. failures.OrderBy(f => f.Update.Id)]);
    }

    private static long ChatKey(Update u) =>
        u.Message?.Chat.Id ?? u.EditedMessage?.Chat.Id ?? u.MyChatMember?.Chat.Id ?? 0;

    [LoggerMessage(Level = LogLevel.Debug, Message = "Telegram update {UpdateId} ({Type}): {Outcome}")]
    private partial void LogAccepted(int updateId, string type, ReceiveOutcome outcome);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Telegram update {UpdateId} acknowledged without a message: {Reason}")]
    private partial void LogSkipped(int updateId, string? reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Telegram chat {PlatformChatId} blocked the bot; replies to it will fail")]
    private partial void LogBlocked(string platformChatId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram update {UpdateId} could not be read and is acknowledged without a message")]
    private partial void LogUnreadable(Exception ex, int updateId);
}
