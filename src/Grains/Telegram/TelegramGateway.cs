using System.Globalization;
using MessengerAutoReply.Chats;
using MessengerAutoReply.Delivery;
using Microsoft.Extensions.Logging;
using Telegram.Bot;
using Telegram.Bot.Exceptions;
using Telegram.Bot.Types.Enums;
using Chat = MessengerAutoReply.Chats.Chat;

namespace MessengerAutoReply.Telegram;

/// <summary>Sends replies with sendMessage through the paced <see cref="TelegramSendQueue"/> and sorts Telegram's answers.</summary>
public sealed partial class TelegramGateway(
    TelegramClients clients,
    TelegramSendQueue queue,
    TelegramOptions options,
    ILogger<TelegramGateway> logger) : IMessengerGateway
{
    public string Platform => Platforms.Telegram;

    public int MaxTextLength => 4096;

    // Groups have a 20/min window, which the send queue keeps per process; across silos the chat keeps 1 s apart.
    public TimeSpan MinSendInterval(Chat chat) => options.PrivateChatInterval + options.PacingMargin;

    public async Task<DeliveryResult> SendTextAsync(Chat chat, ChatMessage message, CancellationToken cancellationToken)
    {
        if (!long.TryParse(chat.PlatformChatId, NumberStyles.Integer, CultureInfo.InvariantCulture, out var chatId))
        {
            return DeliveryResult.Rejected($"'{chat.PlatformChatId}' is not a Telegram chat id.");
        }
        if (string.IsNullOrWhiteSpace(message.Content))
        {
            return DeliveryResult.Rejected("Bad Request: message text is empty");
        }
        // Group and supergroup ids are negative; IsGroup covers chats created from an update.
        var isGroup = chat.IsGroup || chatId < 0;
        return await queue.SendAsync(chatId, isGroup, ct => SendOnceAsync(chatId, message.Content, ct), cancellationToken);
    }

    public async Task SendTypingAsync(Chat chat, CancellationToken cancellationToken)
    {
        if (!long.TryParse(chat.PlatformChatId, NumberStyles.Integer, CultureInfo.InvariantCulture, out var chatId))
        {
            return;
        }
        try
        {
            await clients.Get().SendChatAction(chatId, ChatAction.Typing, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is RequestException or HttpRequestException)
        {
            // Cosmetic: a missed typing indicator is not worth a retry or a failure.
            LogTypingFailed(chat.Id, options.Redact(ex.Message));
        }
    }

    private async Task<TelegramSendQueue.Attempt> SendOnceAsync(long chatId, string text, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(options.SendTimeout);
        try
        {
            var sent = await clients.Get().SendMessage(chatId, text, cancellationToken: timeout.Token);
            return TelegramSendQueue.Attempt.Done(DeliveryResult.Success(sent.Id.ToString(CultureInfo.InvariantCulture)));
        }
        catch (ApiRequestException ex) when (ex.ErrorCode == 429)
        {
            return TelegramSendQueue.Attempt.Wait(TimeSpan.FromSeconds(Math.Max(1, ex.Parameters?.RetryAfter ?? 1)));
        }
        catch (ApiRequestException ex)
        {
            return TelegramSendQueue.Attempt.Done(Classify(ex));
        }
        catch (RequestException ex) when (ex.HttpStatusCode is { } status && (int)status is >= 200 and < 300)
        {
            // Telegram said 2xx: the message is in the chat. Retrying would send the customer a second copy.
            LogUnreadableAnswer(chatId, (int)status, options.Redact(ex.Message));
            return TelegramSendQueue.Attempt.Done(DeliveryResult.SentWithoutId(
                $"Telegram answered {(int)status} with a body that could not be read ({options.Redact(ex.Message)}): the message was delivered, its message id is unknown."));
        }
        catch (Exception ex) when (ex is RequestException or HttpRequestException)
        {
            return TelegramSendQueue.Attempt.Done(DeliveryResult.Transient(options.Redact(ex.Message)));
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return TelegramSendQueue.Attempt.Done(DeliveryResult.Transient($"Telegram did not answer within {options.SendTimeout.TotalSeconds:0} s."));
        }
    }

    private DeliveryResult Classify(ApiRequestException ex)
    {
        var description = options.Redact(ex.Message);
        return ex.ErrorCode switch
        {
            // Bot blocked, user deactivated, kicked from the group: the chat cannot be reached any more.
            403 => DeliveryResult.Rejected(description, chatUnreachable: true),
            401 => DeliveryResult.Rejected("Telegram rejected the bot token (401 Unauthorized): check TELEGRAM_TOKEN."),
            400 when ex.Parameters?.MigrateToChatId is { } migrated =>
                DeliveryResult.Rejected($"{description} (new chat id {migrated.ToString(CultureInfo.InvariantCulture)})", chatUnreachable: true),
            >= 400 and < 500 and not 409 => DeliveryResult.Rejected(description),
            _ => DeliveryResult.Transient(description),
        };
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Telegram: sendMessage to {ChatId} answered {Status} with an unreadable body; counted as delivered, its message id is unknown: {Error}")]
    private partial void LogUnreadableAnswer(long chatId, int status, string error);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Telegram: typing indicator for chat {ChatId} failed: {Error}")]
    private partial void LogTypingFailed(string chatId, string error);
}
