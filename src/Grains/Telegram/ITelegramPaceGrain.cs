namespace MessengerAutoReply.Telegram;

/// <summary>
/// The bot's one outbound budget in cluster mode (decision 10): every silo's send queue reserves start times here,
/// spaced so that all of them together stay under TELEGRAM_RATE_PER_SECOND. One activation per bot.
/// </summary>
public interface ITelegramPaceGrain : IGrainWithStringKey
{
    public const string Key = "bot";

    /// <summary>The next <paramref name="count"/> start times, in order; each may be used once, by the caller only.</summary>
    Task<DateTimeOffset[]> ReserveAsync(int count);
}
